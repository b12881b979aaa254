# trace_printk needs at least one byte of format.
# type: kprobe
# expect: reject invalid zero-sized read
    stdw [%r10-8], 0
    mov %r1, %r10
    add %r1, -8
    mov %r2, 0
    call 6
    mov %r0, 0
    exit
