# The same, with the value passing through a stack slot.
# type: kprobe
# expect: reject invalid read from stack
    ldxb %r2, [%r1+0]
    mov %r1, 100
    jne %r2, 0, join
    mov %r1, 0
join:

    stxdw [%r10-16], %r1
    mov %r1, 0
    stdw [%r10-8], 0
    ldxdw %r4, [%r10-16]
    mov %r3, %r10
    add %r3, -8
    add %r3, %r4
    ldxb %r0, [%r3+0]
    exit
