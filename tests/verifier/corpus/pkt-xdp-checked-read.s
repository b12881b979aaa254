# The classic pattern: if (data + 14 > data_end) drop; read the Ethernet header.
# type: xdp
# expect: accept
    ldxw %r2, [%r1+0]
    ldxw %r3, [%r1+4]

    mov %r4, %r2
    add %r4, 14
    mov %r0, 1
    jgt %r4, %r3, out
    ldxh %r5, [%r2+12]
    ldxb %r6, [%r2+13]
    mov %r0, 2
out:
    exit
