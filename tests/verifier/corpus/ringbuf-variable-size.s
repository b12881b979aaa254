# The reservation size must be a known constant.
# type: kprobe
# map: 1 ringbuf 0 0 4096
# expect: reject R2 is not a known constant
    ldxdw %r2, [%r1+112]
    and %r2, 63
    lddw %r1, map_fd(1)
    mov %r3, 0
    call 131
    mov %r0, 0
    exit
