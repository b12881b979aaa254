# type: raw
# ctx: 8
# expect: reject must hold a known helper id
    ldxb %r6, [%r1+0]
    call %r6
    exit
