# Narrow loads of 32-bit __sk_buff fields are allowed.
# type: socket_filter
# expect: accept
    ldxb %r2, [%r1+3]
    ldxh %r3, [%r1+16]
    mov %r0, %r2
    add %r0, %r3
    exit
