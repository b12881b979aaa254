# type: kprobe
# map: 1 array 4 16 1 flags=0x80
# expect: accept
    lddw %r1, map_value(1, 0)
    ldxdw %r0, [%r1+0]
    exit
