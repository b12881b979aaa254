# type: kprobe
# expect: accept
    mov %r0, 0
    jgt %r1, 1000, out
    mov %r0, 1
out:
    exit
