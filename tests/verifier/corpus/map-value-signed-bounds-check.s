# 0 <= i < 56 with signed comparisons.
# type: kprobe
# map: 1 array 4 64 4
# expect: accept
    stw [%r10-4], 0
    mov %r2, %r10
    add %r2, -4
    lddw %r1, map_fd(1)
    call 1

    jeq %r0, 0, out
    ldxdw %r1, [%r0+0]
    jsge %r1, 56, out
    jslt %r1, 0, out
    add %r0, %r1
    ldxdw %r2, [%r0+0]
out:
    mov %r0, 0
    exit
