# type: kprobe
# expect: reject invalid variable-offset write to stack
    ldxdw %r2, [%r1+0]
    and %r2, 1023
    mov %r3, %r10
    add %r3, -1024
    add %r3, %r2
    stb [%r3+0], 0
    mov %r0, 0
    exit
