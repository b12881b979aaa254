# type: socket_filter
# map: 1 hash 4 4 4
# expect: reject cannot pass map_type 1
    lddw %r2, map_fd(1)
    mov %r3, 0
    call 12
    mov %r0, 0
    exit
