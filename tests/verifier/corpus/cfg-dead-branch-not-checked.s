# A branch that cannot be taken is not verified: its bad access never runs.
# type: socket_filter
# expect: accept
    mov %r2, 5
    mov %r0, 0
    jne %r2, 5, bad
    exit
bad:
    ldxdw %r0, [%r10+8]
    exit
