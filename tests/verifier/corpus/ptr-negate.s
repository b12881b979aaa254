# type: socket_filter
# expect: reject pointer arithmetic prohibited
    mov %r2, %r10
    neg %r2
    mov %r0, 0
    exit
