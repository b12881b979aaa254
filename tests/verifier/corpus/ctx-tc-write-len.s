# type: sched_cls
# expect: reject invalid bpf_context access off=0 size=4
    mov %r7, 1
    stxw [%r1+0], %r7
    mov %r0, 0
    exit
