# type: raw
# expect: reject R3 !read_ok
    mov %r0, 0
    add %r0, %r3
    exit
