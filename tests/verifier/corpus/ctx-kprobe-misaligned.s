# type: kprobe
# expect: reject invalid bpf_context access off=4 size=8
    ldxdw %r0, [%r1+4]
    exit
