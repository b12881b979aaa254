# Tracing programs may run where taking a lock deadlocks: maps with a bpf_spin_lock are refused.
# type: kprobe
# map: 1 array 4 16 1 spin_lock=0
# expect: reject tracing progs cannot use bpf_spin_lock yet
    lddw %r6, map_value(1, 0)
    mov %r0, 0
    exit
