# type: kprobe
# map: 1 ringbuf 0 0 4096
# expect: accept
    lddw %r1, map_fd(1)
    mov %r2, 16
    mov %r3, 0
    call 131

    jeq %r0, 0, out
    mov %r1, %r0
    mov %r2, 0
    call 133
out:
    mov %r0, 0
    exit
