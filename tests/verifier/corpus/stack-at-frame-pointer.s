# The frame pointer is one past the frame: [r10+0] is outside it.
# type: socket_filter
# expect: reject invalid write to stack
    stb [%r10+0], 1
    mov %r0, 0
    exit
