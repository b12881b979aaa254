# type: sched_cls
# map: 1 array 4 16 1 spin_lock=0
# expect: accept
    lddw %r6, map_value(1, 0)
    mov %r1, %r6
    call 93
    ldxdw %r2, [%r6+8]
    add %r2, 1
    stxdw [%r6+8], %r2
    mov %r1, %r6
    call 94
    mov %r0, 0
    exit
