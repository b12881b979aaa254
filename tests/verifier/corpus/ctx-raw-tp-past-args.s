# type: raw_tracepoint
# expect: reject invalid bpf_context access off=96 size=8
    ldxdw %r0, [%r1+96]
    exit
