# type: socket_filter
# expect: reject pointer -= pointer prohibited
    mov %r2, %r10
    add %r2, -16
    mov %r0, %r10
    sub %r0, %r2
    exit
