# Ring buffers have no elements to look up.
# type: kprobe
# map: 1 ringbuf 0 0 4096
# expect: reject cannot pass map_type 27
    stw [%r10-4], 0
    mov %r2, %r10
    add %r2, -4
    lddw %r1, map_fd(1)
    call 1

    mov %r0, 0
    exit
