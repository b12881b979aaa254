# A reservation kept on the stack across a helper call is still the same reference.
# type: kprobe
# map: 1 ringbuf 0 0 4096
# expect: accept
    lddw %r1, map_fd(1)
    mov %r2, 16
    mov %r3, 0
    call 131

    jeq %r0, 0, out
    stxdw [%r10-8], %r0
    call 5
    ldxdw %r1, [%r10-8]
    stxdw [%r1+0], %r0
    mov %r2, 0
    call 132
out:
    mov %r0, 0
    exit
