# RFC 9669 defines it (the result is 0); raw programs may do it.
# type: raw
# expect: accept
    mov %r0, 7
    div %r0, 0
    exit
