# A 32-bit comparison bounds the low half, and with it a zero-extended value.
# type: kprobe
# expect: accept
    stdw [%r10-8], 0
    stdw [%r10-16], 0
    ldxw %r2, [%r1+0]
    jgt32 %r2, 15, out
    mov %r3, %r10
    add %r3, -16
    add %r3, %r2
    ldxb %r0, [%r3+0]
    exit
out:
    mov %r0, 0
    exit
