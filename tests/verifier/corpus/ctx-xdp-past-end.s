# type: xdp
# expect: reject invalid bpf_context access off=24 size=4
    ldxw %r2, [%r1+24]
    mov %r0, 2
    exit
