# type: kprobe
# map: 1 hash 4 4 4
# expect: reject cannot pass map_type 1
    mov %r6, %r1
    stdw [%r10-8], 7
    mov %r1, %r6
    lddw %r2, map_fd(1)
    mov %r3, 0
    mov %r4, %r10
    add %r4, -8
    mov %r5, 8
    call 25
    mov %r0, 0
    exit
