# type: kprobe
# expect: accept
    lddw %r1, 0x000a6425
    stxdw [%r10-8], %r1
    mov %r1, %r10
    add %r1, -8
    mov %r2, 4
    mov %r3, 42
    mov %r4, 0
    mov %r5, 0
    call 6
    mov %r0, 0
    exit
