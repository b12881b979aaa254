# A zero stored from a register reads back as the constant 0: the register's value matters.
# type: kprobe
# expect: reject register with unbounded min value is not allowed
    ldxb %r2, [%r1+0]
    mov %r1, 100
    jne %r2, 0, join
    mov %r1, 0
join:

    stxw [%r10-16], %r1
    stw [%r10-12], 0
    ldxdw %r4, [%r10-16]
    stdw [%r10-8], 0
    mov %r3, %r10
    add %r3, -8
    add %r3, %r4
    ldxb %r0, [%r3+0]
    exit
