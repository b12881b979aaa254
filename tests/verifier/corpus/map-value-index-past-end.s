# An index that can reach 63 leaves no room for 8 bytes.
# type: kprobe
# map: 1 array 4 64 4
# expect: reject max value is outside of the allowed memory range
    stw [%r10-4], 0
    mov %r2, %r10
    add %r2, -4
    lddw %r1, map_fd(1)
    call 1

    jeq %r0, 0, out
    ldxdw %r1, [%r0+0]
    and %r1, 63
    add %r0, %r1
    ldxdw %r2, [%r0+0]
out:
    mov %r0, 0
    exit
