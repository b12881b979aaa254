# type: kprobe
# expect: reject math between fp pointer and 1073741824 is not allowed
    mov %r3, %r10
    mov %r2, 0x40000000
    add %r3, %r2
    mov %r0, 0
    exit
