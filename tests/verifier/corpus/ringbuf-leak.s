# A reservation must be submitted or discarded on every path.
# type: kprobe
# map: 1 ringbuf 0 0 4096
# expect: reject Unreleased reference
    lddw %r1, map_fd(1)
    mov %r2, 16
    mov %r3, 0
    call 131

    jeq %r0, 0, out
    stdw [%r0+0], 1
out:
    mov %r0, 0
    exit
