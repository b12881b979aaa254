# type: kprobe
# map: 1 array 4 64 4
# expect: reject unbounded
    stw [%r10-4], 0
    mov %r2, %r10
    add %r2, -4
    lddw %r1, map_fd(1)
    call 1

    jeq %r0, 0, out
    ldxdw %r1, [%r0+0]
    jsgt %r1, 0, pos
    mov %r1, 0
pos:
    add %r0, %r1
    ldxb %r2, [%r0+0]
out:
    mov %r0, 0
    exit
