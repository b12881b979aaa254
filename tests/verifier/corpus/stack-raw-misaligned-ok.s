# Raw programs follow RFC 9669 alone: unaligned stack accesses are fine.
# type: raw
# expect: accept
    stdw [%r10-12], 1
    ldxdw %r0, [%r10-12]
    exit
