# type: kprobe
# expect: reject min value is negative
    ldxdw %r3, [%r1+112]
    ldxdw %r2, [%r1+104]
    jsgt %r2, 16, out
    mov %r1, %r10
    add %r1, -16
    call 113
out:
    mov %r0, 0
    exit
