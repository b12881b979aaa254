# type: socket_filter
# expect: reject R0 leaks addr as return value
    mov %r0, %r1
    exit
