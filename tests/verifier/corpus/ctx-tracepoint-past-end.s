# type: tracepoint
# expect: reject invalid bpf_context access off=8192 size=4
    ldxw %r0, [%r1+8192]
    exit
