# type: kprobe
# map: 1 hash 4 8 4
# expect: reject cannot pass map_type 1
    lddw %r1, map_fd(1)
    mov %r2, 16
    mov %r3, 0
    call 131

    mov %r0, 0
    exit
