# type: sched_cls
# map: 1 array 4 16 1 spin_lock=0
# expect: reject bpf_spin_lock cannot be accessed directly
    lddw %r1, map_value(1, 0)
    ldxw %r0, [%r1+0]
    exit
