# A slot known to hold zero reads as the constant 0, usable as an exact offset.
# type: socket_filter
# expect: accept
    stdw [%r10-8], 0
    stdw [%r10-16], 7
    ldxdw %r2, [%r10-8]
    mov %r3, %r10
    add %r3, %r2
    ldxdw %r0, [%r3-16]
    exit
