# type: perf_event
# expect: accept
    ldxdw %r2, [%r1+168]
    ldxw %r3, [%r1+176]
    ldxdw %r4, [%r1+0]
    mov %r0, 0
    exit
