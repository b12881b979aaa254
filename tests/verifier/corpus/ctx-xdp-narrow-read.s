# type: xdp
# expect: reject invalid bpf_context access off=12 size=2
    ldxh %r2, [%r1+12]
    mov %r0, 2
    exit
