# A register divisor may be zero at run time: defined as 0.
# type: socket_filter
# expect: accept
    ldxw %r2, [%r1+0]
    mov %r0, 7
    div %r0, %r2
    exit
