# r1-r5 are unreadable after a call.
# type: socket_filter
# expect: reject R1 !read_ok
    mov %r1, 1
    call local f
    mov %r0, %r1
    exit
f:
    mov %r0, 0
    exit
