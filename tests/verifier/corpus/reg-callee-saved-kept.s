# r6-r9 survive a helper call.
# type: kprobe
# expect: accept
    mov %r6, 7
    mov %r9, %r1
    call 5
    mov %r0, %r6
    ldxdw %r1, [%r9+0]
    exit
