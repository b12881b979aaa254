# A map value can serve as the key of another lookup.
# type: kprobe
# map: 1 hash 4 8 16
# map: 2 hash 8 8 16
# expect: accept
    stw [%r10-4], 0
    mov %r2, %r10
    add %r2, -4
    lddw %r1, map_fd(1)
    call 1

    jeq %r0, 0, out
    mov %r2, %r0
    lddw %r1, map_fd(2)
    call 1
out:
    mov %r0, 0
    exit
