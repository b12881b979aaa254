# type: kprobe
# expect: reject variable ctx access
    ldxdw %r2, [%r1+0]
    and %r2, 8
    mov %r3, %r1
    add %r3, %r2
    ldxdw %r0, [%r3+0]
    exit
