# type: socket_filter
# expect: reject falls off the end
    mov %r0, 0
