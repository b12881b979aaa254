# xdp_md is read-only.
# type: xdp
# expect: reject invalid bpf_context access off=12 size=4
    mov %r7, 0
    stxw [%r1+12], %r7
    mov %r0, 2
    exit
