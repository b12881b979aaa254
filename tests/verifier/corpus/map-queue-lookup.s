# Queues only take push, pop and peek.
# type: kprobe
# map: 1 queue 0 8 16
# expect: reject cannot pass map_type 22
    stw [%r10-4], 0
    mov %r2, %r10
    add %r2, -4
    lddw %r1, map_fd(1)
    call 1
    mov %r0, 0
    exit
