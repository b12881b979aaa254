# With no context memory r1 is NULL, a plain number.
# type: raw
# ctx: 0
# expect: reject invalid mem access 'scalar'
    ldxb %r0, [%r1+0]
    exit
