# type: kprobe
# map: 1 hash 4 8 16
# expect: reject cannot pass map_type 1
    stdw [%r10-8], 5
    mov %r2, %r10
    add %r2, -8
    mov %r3, 0
    lddw %r1, map_fd(1)
    call 87
    mov %r0, 0
    exit
