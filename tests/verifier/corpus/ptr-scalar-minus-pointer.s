# type: kprobe
# expect: reject tried to subtract pointer from scalar
    mov %r2, 100
    sub %r2, %r10
    mov %r0, 0
    exit
