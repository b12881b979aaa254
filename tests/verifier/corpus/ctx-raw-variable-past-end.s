# type: raw
# ctx: 32
# expect: reject max value is outside of the allowed memory range
    ldxb %r2, [%r1+0]
    and %r2, 31
    add %r1, %r2
    ldxdw %r0, [%r1+0]
    exit
