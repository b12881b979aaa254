# type: socket_filter
# expect: accept
    ldxw %r2, [%r1+0]
    mov %r0, 2
    jeq %r2, 0, out
    mov %r0, 1
out:
    exit
