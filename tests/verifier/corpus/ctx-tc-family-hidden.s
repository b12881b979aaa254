# The socket fields of __sk_buff belong to sk_skb programs.
# type: sched_cls
# expect: reject invalid bpf_context access off=88 size=4
    ldxw %r2, [%r1+88]
    mov %r0, 0
    exit
