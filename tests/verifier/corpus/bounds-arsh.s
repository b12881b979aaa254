# type: kprobe
# map: 1 array 4 16 1
# expect: accept
    ldxb %r2, [%r1+0]
    lsh %r2, 56
    arsh %r2, 60
    add %r2, 8
    lddw %r3, map_value(1, 0)
    add %r3, %r2
    ldxb %r0, [%r3+0]
    exit
