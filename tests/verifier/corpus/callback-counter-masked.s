# A counter the callback increments is unknown after the loop; masked, it is a valid index.
# type: kprobe
# expect: accept
    stdw [%r10-8], 0
    mov %r1, 100
    lddw %r2, func(cb)
    mov %r3, %r10
    add %r3, -8
    mov %r4, 0
    call 181

    stdw [%r10-16], 0
    ldxdw %r1, [%r10-8]
    and %r1, 7
    mov %r2, %r10
    add %r2, -16
    add %r2, %r1
    ldxb %r0, [%r2+0]
    exit

cb:
    ldxdw %r3, [%r2+0]
    add %r3, 1
    stxdw [%r2+0], %r3
    mov %r0, 0
    exit
