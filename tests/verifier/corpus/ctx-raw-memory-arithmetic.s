# A raw context is plain memory: pointer arithmetic and variable offsets are fine within it.
# type: raw
# ctx: 32
# expect: accept
    ldxb %r2, [%r1+0]
    and %r2, 15
    add %r1, %r2
    ldxdw %r0, [%r1+8]
    exit
