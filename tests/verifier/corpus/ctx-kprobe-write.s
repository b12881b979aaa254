# type: kprobe
# expect: reject invalid bpf_context access off=80 size=8
    mov %r7, 0
    stxdw [%r1+80], %r7
    mov %r0, 0
    exit
