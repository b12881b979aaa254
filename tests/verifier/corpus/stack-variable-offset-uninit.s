# The variable offset may reach a slot nobody wrote.
# type: kprobe
# expect: reject invalid variable-offset read from stack
    stdw [%r10-8], 0
    ldxdw %r2, [%r1+0]
    and %r2, 8
    mov %r3, %r10
    add %r3, -16
    add %r3, %r2
    ldxdw %r0, [%r3+0]
    exit
