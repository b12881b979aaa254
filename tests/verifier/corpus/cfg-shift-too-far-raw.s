# type: raw
# expect: accept
    mov %r0, 1
    lsh32 %r0, 36
    exit
