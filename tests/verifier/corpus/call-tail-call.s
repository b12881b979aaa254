# type: socket_filter
# map: 1 prog_array 4 4 4
# expect: accept
    lddw %r2, map_fd(1)
    mov %r3, 0
    call 12
    mov %r0, 0
    exit
