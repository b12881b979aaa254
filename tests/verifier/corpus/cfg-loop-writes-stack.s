# A bounded loop filling an array on the stack, then reading it.
# type: socket_filter
# expect: accept
    mov %r1, 0
loop:
    mov %r2, %r10
    add %r2, -64
    add %r2, %r1
    stdw [%r2+0], 0
    add %r1, 8
    jlt %r1, 64, loop
    ldxdw %r0, [%r10-8]
    exit
