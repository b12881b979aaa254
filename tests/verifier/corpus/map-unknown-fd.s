# type: kprobe
# map: 1 hash 4 8 16
# expect: reject map fd 7
    lddw %r1, map_fd(7)
    mov %r0, 0
    exit
