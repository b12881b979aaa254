# The map itself is not memory the program may read.
# type: kprobe
# map: 1 hash 4 8 16
# expect: reject invalid mem access 'map_ptr'
    lddw %r1, map_fd(1)
    ldxdw %r0, [%r1+0]
    exit
