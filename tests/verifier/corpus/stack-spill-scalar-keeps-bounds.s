# Bounds survive a spill and fill.
# type: kprobe
# expect: accept
    stdw [%r10-16], 0
    stdw [%r10-8], 0
    ldxdw %r2, [%r1+0]
    and %r2, 15
    stxdw [%r10-24], %r2
    ldxdw %r3, [%r10-24]
    mov %r4, %r10
    add %r4, -16
    add %r4, %r3
    ldxb %r0, [%r4+0]
    exit
