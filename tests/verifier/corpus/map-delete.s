# type: kprobe
# map: 1 hash 4 8 16
# expect: accept
    stw [%r10-4], 1
    mov %r2, %r10
    add %r2, -4
    lddw %r1, map_fd(1)
    call 3
    exit
