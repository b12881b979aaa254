# type: kprobe
# map: 1 array 4 32 1
# expect: reject invalid access to map value
    mov %r6, %r1
    lddw %r1, map_value(1, 8)
    mov %r2, 32
    ldxdw %r3, [%r6+112]
    call 113
    mov %r0, 0
    exit
