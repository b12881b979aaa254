# The value pointer may be NULL until checked.
# type: kprobe
# map: 1 hash 4 8 16
# expect: reject invalid mem access 'map_value_or_null'
    stw [%r10-4], 0
    mov %r2, %r10
    add %r2, -4
    lddw %r1, map_fd(1)
    call 1

    ldxdw %r0, [%r0+0]
    exit
