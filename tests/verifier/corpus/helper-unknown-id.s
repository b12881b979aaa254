# type: kprobe
# expect: reject invalid func unknown#999
    call 999
    mov %r0, 0
    exit
