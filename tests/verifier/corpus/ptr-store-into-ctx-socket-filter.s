# type: socket_filter
# expect: reject leaks addr into ctx
    stxw [%r1+48], %r10
    mov %r0, 0
    exit
