# type: kprobe
# map: 1 array 4 16 1
# expect: reject invalid access to map value, value_size=16 off=16 size=8
    lddw %r1, map_value(1, 8)
    ldxdw %r0, [%r1+8]
    exit
