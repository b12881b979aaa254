# type: kprobe
# expect: reject unbounded memory access
    ldxdw %r3, [%r1+112]
    ldxdw %r2, [%r1+104]
    rsh %r2, 1
    mov %r1, %r10
    add %r1, -32
    call 113
    mov %r0, 0
    exit
