# pt_regs: any aligned read.
# type: kprobe
# expect: accept
    ldxdw %r2, [%r1+112]
    ldxw %r3, [%r1+104]
    ldxb %r4, [%r1+160]
    mov %r0, 0
    exit
