# Raw programs may walk a stack pointer down by subtraction.
# type: raw
# expect: accept
    stdw [%r10-8], 1
    stdw [%r10-16], 2
    mov %r2, %r10
    add %r2, -8
    ldxdw %r3, [%r2+0]
    sub %r2, 8
    ldxdw %r4, [%r2+0]
    mov %r0, %r3
    add %r0, %r4
    exit
