# type: sched_cls
# map: 1 array 4 16 1 spin_lock=0
# expect: reject function calls are not allowed while holding a lock
    lddw %r6, map_value(1, 0)
    mov %r1, %r6
    call 93
    call 5
    mov %r1, %r6
    call 94
    mov %r0, 0
    exit
