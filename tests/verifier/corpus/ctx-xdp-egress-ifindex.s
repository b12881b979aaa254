# egress_ifindex exists only for devmap programs.
# type: xdp
# expect: reject invalid bpf_context access off=20 size=4
    ldxw %r2, [%r1+20]
    mov %r0, 2
    exit
