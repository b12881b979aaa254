# A helper call leaves r1-r5 unreadable.
# type: kprobe
# expect: reject R1 !read_ok
    mov %r6, %r1
    call 5
    mov %r0, %r1
    exit
