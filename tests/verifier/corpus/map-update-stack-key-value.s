# type: kprobe
# map: 1 hash 4 8 16
# expect: accept
    stw [%r10-4], 1
    stdw [%r10-16], 2
    mov %r2, %r10
    add %r2, -4
    mov %r3, %r10
    add %r3, -16
    mov %r4, 0
    lddw %r1, map_fd(1)
    call 2
    exit
