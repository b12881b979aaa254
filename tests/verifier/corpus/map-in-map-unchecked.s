# type: kprobe
# map: 1 array_of_maps 4 4 2 inner=hash/4/8/16
# expect: reject expected=map_ptr
    stw [%r10-4], 0
    mov %r2, %r10
    add %r2, -4
    lddw %r1, map_fd(1)
    call 1

    mov %r1, %r0
    mov %r2, %r10
    add %r2, -4
    call 1
    mov %r0, 0
    exit
