# type: kprobe
# map: 1 hash 4 8 16
# expect: accept
    stw [%r10-4], 0
    mov %r2, %r10
    add %r2, -4
    lddw %r1, map_fd(1)
    call 1

    mov %r6, 0
    jeq %r0, 0, out
    ldxdw %r6, [%r0+0]
out:
    mov %r0, %r6
    exit
