# type: kprobe
# map: 1 array 4 16 1
# expect: accept
    ldxb %r2, [%r1+0]
    and %r2, 7
    add %r2, 8
    sub %r2, 1
    lddw %r3, map_value(1, 0)
    add %r3, %r2
    ldxb %r0, [%r3+0]
    exit
