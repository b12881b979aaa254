# Bounding a copy bounds the original.
# type: kprobe
# expect: accept
    stdw [%r10-8], 0
    ldxdw %r2, [%r1+0]
    mov %r3, %r2
    jgt %r3, 7, out
    mov %r4, %r10
    add %r4, -8
    add %r4, %r2
    ldxb %r0, [%r4+0]
    exit
out:
    mov %r0, 0
    exit
