# The callee reads r3, which the caller never set.
# type: socket_filter
# expect: reject R3 !read_ok
    mov %r1, 3
    call local f
    exit
f:
    mov %r0, %r3
    exit
