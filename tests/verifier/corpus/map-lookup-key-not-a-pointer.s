# type: kprobe
# map: 1 hash 4 8 16
# expect: reject R2 type=scalar expected=fp
    mov %r2, 0
    lddw %r1, map_fd(1)
    call 1
    mov %r0, 0
    exit
