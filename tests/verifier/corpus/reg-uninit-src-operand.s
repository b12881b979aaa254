# type: socket_filter
# expect: reject R4 !read_ok
    mov %r0, 1
    add %r0, %r4
    exit
