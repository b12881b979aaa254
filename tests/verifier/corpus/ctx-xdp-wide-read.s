# xdp_md fields are 32-bit: an 8-byte load is refused.
# type: xdp
# expect: reject invalid bpf_context access off=0 size=8
    ldxdw %r2, [%r1+0]
    mov %r0, 2
    exit
