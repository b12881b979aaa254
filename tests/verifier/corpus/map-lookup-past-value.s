# type: kprobe
# map: 1 hash 4 8 16
# expect: reject invalid access to map value, value_size=8 off=4 size=8
    stw [%r10-4], 0
    mov %r2, %r10
    add %r2, -4
    lddw %r1, map_fd(1)
    call 1

    jeq %r0, 0, out
    ldxdw %r0, [%r0+4]
out:
    mov %r0, 0
    exit
