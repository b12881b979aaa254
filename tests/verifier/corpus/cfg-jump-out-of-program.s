# type: socket_filter
# expect: reject is outside the program
    mov %r0, 0
    ja +5
    exit
