# type: socket_filter
# expect: reject R5 !read_ok
    mov %r0, 0
    jgt %r5, 3, out
    mov %r0, 1
out:
    exit
