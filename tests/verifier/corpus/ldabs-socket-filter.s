# The legacy packet loads read through r6 = the skb.
# type: socket_filter
# expect: accept
    mov %r6, %r1
    ldabsh 12
    mov %r7, %r0
    mov %r2, 14
    ldindb %r2, 9
    exit
