# type: kprobe
# map: 1 hash 4 8 16
# expect: reject pointer arithmetic on map_ptr prohibited
    lddw %r1, map_fd(1)
    add %r1, 8
    mov %r0, 0
    exit
