# type: tracepoint
# map: 1 ringbuf 0 0 4096
# expect: accept
    stdw [%r10-8], 1
    lddw %r1, map_fd(1)
    mov %r2, %r10
    add %r2, -8
    mov %r3, 8
    mov %r4, 0
    call 130
    mov %r0, 0
    exit
