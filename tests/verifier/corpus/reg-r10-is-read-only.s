# Writing the frame pointer is refused before verification starts.
# type: socket_filter
# expect: reject writes r10
    mov %r10, 0
    mov %r0, 0
    exit
