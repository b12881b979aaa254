# type: raw_tracepoint
# expect: accept
    ldxdw %r2, [%r1+0]
    ldxdw %r3, [%r1+88]
    mov %r0, 0
    exit
