# An atomic add reads the old value: it must have been written.
# type: socket_filter
# expect: reject invalid read from stack
    mov %r1, 1
    lock add [%r10-8], %r1
    mov %r0, 0
    exit
