# type: kprobe
# map: 1 hash 4 8 16
# expect: reject pointer arithmetic on map_value_or_null prohibited, null-check it first
    stw [%r10-4], 0
    mov %r2, %r10
    add %r2, -4
    lddw %r1, map_fd(1)
    call 1

    add %r0, 4
    mov %r0, 0
    exit
