# Overwriting half of a spilled pointer leaves bytes that are no pointer.
# type: kprobe
# expect: reject invalid mem access 'scalar'
    stxdw [%r10-8], %r1
    stw [%r10-8], 0
    ldxdw %r2, [%r10-8]
    ldxdw %r0, [%r2+0]
    exit
