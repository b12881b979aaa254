# The saved registers are readable only as whole longs.
# type: perf_event
# expect: reject invalid bpf_context access off=8 size=4
    ldxw %r0, [%r1+8]
    exit
