# type: socket_filter
# expect: reject R3 !read_ok
    stxdw [%r10-8], %r3
    mov %r0, 0
    exit
