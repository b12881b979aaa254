# A spilled context pointer comes back as a context pointer.
# type: socket_filter
# expect: accept
    stxdw [%r10-8], %r1
    ldxdw %r2, [%r10-8]
    ldxw %r0, [%r2+0]
    exit
