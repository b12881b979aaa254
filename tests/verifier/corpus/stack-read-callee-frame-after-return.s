# A pointer into a callee's frame does not survive the return.
# type: socket_filter
# expect: reject
    mov %r1, %r10
    add %r1, -8
    call local leak
    ldxdw %r2, [%r10-8]
    ldxdw %r0, [%r2+0]
    exit
leak:
    mov %r2, %r10
    add %r2, -8
    stdw [%r2+0], 1
    stxdw [%r1+0], %r2
    mov %r0, 0
    exit
