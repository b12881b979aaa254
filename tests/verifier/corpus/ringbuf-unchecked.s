# type: kprobe
# map: 1 ringbuf 0 0 4096
# expect: reject invalid mem access 'mem_or_null'
    lddw %r1, map_fd(1)
    mov %r2, 16
    mov %r3, 0
    call 131

    stdw [%r0+0], 1
    mov %r0, 0
    exit
