# The key a for_each_map_elem callback gets is read-only.
# type: kprobe
# map: 1 hash 4 8 16
# expect: reject write forbidden
    lddw %r1, map_fd(1)
    lddw %r2, func(cb)
    mov %r3, 0
    mov %r4, 0
    call 164
    mov %r0, 0
    exit
cb:
    stw [%r2+0], 0
    mov %r0, 0
    exit
