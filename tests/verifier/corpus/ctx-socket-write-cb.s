# cb[] is the scratch area a socket filter may write.
# type: socket_filter
# expect: accept
    mov %r7, 1
    stxw [%r1+48], %r7
    mov %r7, 2
    stxdw [%r1+56], %r7
    ldxw %r0, [%r1+48]
    exit
