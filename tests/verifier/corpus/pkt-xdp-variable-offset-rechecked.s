# A variable offset is fine once the moved pointer is checked again.
# type: xdp
# expect: accept
    ldxw %r2, [%r1+0]
    ldxw %r3, [%r1+4]

    mov %r4, %r2
    add %r4, 1
    mov %r0, 1
    jgt %r4, %r3, out
    ldxb %r5, [%r2+0]
    and %r5, 63
    add %r2, %r5
    mov %r4, %r2
    add %r4, 2
    jgt %r4, %r3, out
    ldxh %r0, [%r2+0]
out:
    exit
