# type: socket_filter
# expect: reject R6 != pointer to skb
    mov %r6, 0
    ldabsb 12
    exit
