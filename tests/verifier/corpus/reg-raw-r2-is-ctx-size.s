# A raw program gets the context size in r2.
# type: raw
# ctx: 16
# expect: accept
    mov %r0, %r2
    exit
