# A helper that fills a stack buffer initialises it.
# type: kprobe
# expect: accept
    mov %r1, %r10
    add %r1, -16
    mov %r2, 16
    call 16
    ldxdw %r0, [%r10-16]
    exit
