# type: socket_filter
# expect: accept
    stdw [%r10-8], 1
    mov %r0, 1
    mov %r1, 2
    lock cmpxchg [%r10-8], %r1
    exit
