# A check on one copy of the pointer covers the others with the same id.
# type: xdp
# expect: accept
    ldxw %r2, [%r1+0]
    ldxw %r3, [%r1+4]

    mov %r6, %r2
    mov %r4, %r2
    add %r4, 20
    mov %r0, 1
    jgt %r4, %r3, out
    ldxw %r0, [%r6+16]
out:
    exit
