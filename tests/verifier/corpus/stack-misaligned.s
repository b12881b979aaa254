# Kernel program types need stack accesses aligned to their size.
# type: socket_filter
# expect: reject misaligned stack access
    stdw [%r10-12], 1
    mov %r0, 0
    exit
