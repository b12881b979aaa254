# trace_printk reads its format: those bytes must be written.
# type: kprobe
# expect: reject invalid indirect read from stack
    mov %r1, %r10
    add %r1, -8
    mov %r2, 8
    call 6
    mov %r0, 0
    exit
