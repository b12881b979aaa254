# type: kprobe
# map: 1 array 4 64 1
# expect: accept
    ldxb %r2, [%r1+0]
    and %r2, 7
    mul %r2, 8
    lddw %r3, map_value(1, 0)
    add %r3, %r2
    ldxdw %r0, [%r3+0]
    exit
