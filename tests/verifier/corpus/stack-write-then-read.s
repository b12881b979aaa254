# type: socket_filter
# expect: accept
    stdw [%r10-8], 42
    ldxdw %r0, [%r10-8]
    exit
