# type: socket_filter
# expect: reject invalid shift 64
    mov %r0, 1
    lsh %r0, 64
    exit
