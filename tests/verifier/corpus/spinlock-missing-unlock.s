# type: sched_cls
# map: 1 array 4 16 1 spin_lock=0
# expect: reject bpf_spin_unlock is missing
    lddw %r1, map_value(1, 0)
    call 93
    mov %r0, 0
    exit
