# type: socket_filter
# expect: reject invalid read from stack
    mov %r1, %r10
    add %r1, -8
    call local f
    exit
f:
    ldxdw %r0, [%r1+0]
    exit
