# Immediates may be stored into writable context fields (the kernel allows BPF_ST there since 6.x).
# type: sched_cls
# expect: accept
    stw [%r1+8], 1
    mov %r0, 0
    exit
