# A callee writes through a pointer into its caller's frame.
# type: socket_filter
# expect: accept
    mov %r1, %r10
    add %r1, -8
    call local fill
    ldxdw %r0, [%r10-8]
    exit
fill:
    stdw [%r1+0], 5
    mov %r0, 0
    exit
