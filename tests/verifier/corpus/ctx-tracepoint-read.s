# type: tracepoint
# expect: accept
    ldxdw %r2, [%r1+8]
    ldxw %r3, [%r1+8188]
    mov %r0, 0
    exit
