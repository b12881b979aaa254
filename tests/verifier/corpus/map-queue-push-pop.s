# type: kprobe
# map: 1 queue 0 8 16
# expect: accept
    stdw [%r10-8], 5
    mov %r2, %r10
    add %r2, -8
    mov %r3, 0
    lddw %r1, map_fd(1)
    call 87
    mov %r2, %r10
    add %r2, -16
    lddw %r1, map_fd(1)
    call 88
    ldxdw %r0, [%r10-16]
    exit
