# type: socket_filter
# expect: reject invalid bpf_context access off=8 size=4
    mov %r7, 1
    stxw [%r1+8], %r7
    mov %r0, 0
    exit
