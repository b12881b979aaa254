# type: raw
# ctx: 32
# expect: reject invalid access to context, ctx_size=32 off=28 size=8
    ldxdw %r0, [%r1+28]
    exit
