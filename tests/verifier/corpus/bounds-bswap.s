# A byte-swapped 16-bit value stays below 65536.
# type: kprobe
# map: 1 array 4 8 1
# expect: accept
    ldxh %r2, [%r1+0]
    be16 %r2
    rsh %r2, 13
    lddw %r3, map_value(1, 0)
    add %r3, %r2
    ldxb %r0, [%r3+0]
    exit
