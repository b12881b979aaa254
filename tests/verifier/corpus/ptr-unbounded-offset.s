# type: kprobe
# expect: reject unbounded min value
    ldxdw %r2, [%r1+0]
    mov %r3, %r10
    add %r3, %r2
    mov %r0, 0
    exit
