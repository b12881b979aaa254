# r0 is written on only one of two paths to exit.
# type: socket_filter
# expect: reject R0 !read_ok
    ldxw %r2, [%r1+0]
    jeq %r2, 0, out
    mov %r0, 1
out:
    exit
