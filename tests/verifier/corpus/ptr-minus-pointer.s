# The distance between two pointers is a number (where addresses may be seen).
# type: kprobe
# expect: accept
    mov %r2, %r10
    add %r2, -16
    mov %r0, %r10
    sub %r0, %r2
    exit
