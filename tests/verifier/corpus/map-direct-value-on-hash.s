# Direct value access needs a single-element array.
# type: kprobe
# map: 1 hash 4 16 4
# expect: reject direct value access
    lddw %r1, map_value(1, 0)
    ldxdw %r0, [%r1+0]
    exit
