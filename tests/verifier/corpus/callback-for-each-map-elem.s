# type: kprobe
# map: 1 hash 4 8 16
# expect: accept
    lddw %r1, map_fd(1)
    lddw %r2, func(cb)
    mov %r3, 0
    mov %r4, 0
    call 164
    mov %r0, 0
    exit
cb:
    ldxw %r4, [%r2+0]
    ldxdw %r5, [%r3+0]
    add %r5, %r4
    stxdw [%r3+0], %r5
    mov %r0, 0
    exit
