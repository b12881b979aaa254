# The last slot of the 512-byte frame.
# type: socket_filter
# expect: accept
    stdw [%r10-512], 3
    ldxdw %r0, [%r10-512]
    exit
