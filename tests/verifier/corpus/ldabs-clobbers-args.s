# type: socket_filter
# expect: reject R1 !read_ok
    mov %r6, %r1
    ldabsb 12
    ldxw %r0, [%r1+0]
    exit
