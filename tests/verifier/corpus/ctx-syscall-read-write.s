# type: syscall
# expect: accept
    ldxdw %r2, [%r1+0]
    stxdw [%r1+8], %r2
    mov %r0, 0
    exit
