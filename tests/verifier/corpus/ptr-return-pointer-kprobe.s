# Tracing programs may return an address.
# type: kprobe
# expect: accept
    mov %r0, %r10
    exit
