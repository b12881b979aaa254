# gotol (ja32), the jump with a 32-bit offset.
# type: socket_filter
# expect: accept
    ldxw %r2, [%r1+0]
    mov %r0, 1
    jeq %r2, 0, +1
    ja32 +1
    mov %r0, 2
    exit
