# An array of maps yields a map, which can be looked up in turn.
# type: kprobe
# map: 1 array_of_maps 4 4 2 inner=hash/4/8/16
# expect: accept
    stw [%r10-4], 0
    mov %r2, %r10
    add %r2, -4
    lddw %r1, map_fd(1)
    call 1

    jeq %r0, 0, out
    mov %r1, %r0
    mov %r2, %r10
    add %r2, -4
    call 1
    jeq %r0, 0, out
    ldxdw %r0, [%r0+0]
    exit
out:
    mov %r0, 0
    exit
