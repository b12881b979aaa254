# type: kprobe
# map: 1 ringbuf 0 0 4096
# expect: reject expected=ringbuf_mem
    stdw [%r10-8], 0
    mov %r1, %r10
    add %r1, -8
    mov %r2, 0
    call 132
    mov %r0, 0
    exit
