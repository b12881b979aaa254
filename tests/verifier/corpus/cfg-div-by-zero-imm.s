# The kernel refuses a constant division by zero.
# type: socket_filter
# expect: reject div by zero
    mov %r0, 7
    div %r0, 0
    exit
