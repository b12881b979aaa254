# Only r1 (the context) is set at entry of a kernel program type; r2-r5 are unreadable.
# type: xdp
# expect: reject R2 !read_ok
    mov %r0, %r2
    exit
