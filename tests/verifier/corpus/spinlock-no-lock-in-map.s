# The kernel needs BTF describing the lock; bpfrt needs the map to declare it.
# type: sched_cls
# map: 1 array 4 16 1
# expect: reject has no valid bpf_spin_lock
    lddw %r1, map_value(1, 0)
    call 93
    mov %r0, 0
    exit
