# type: raw
# expect: reject misaligned stack access
    stdw [%r10-16], 0
    stdw [%r10-8], 0
    mov %r1, 1
    lock add32 [%r10-10], %r1
    mov %r0, 0
    exit
