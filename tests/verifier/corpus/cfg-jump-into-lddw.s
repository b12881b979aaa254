# type: socket_filter
# expect: reject second slot of an lddw
    mov %r0, 0
    ja +1
    lddw %r0, 0x100000001
    exit
