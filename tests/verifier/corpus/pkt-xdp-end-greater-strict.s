# if (data_end > data + 3) { 4 bytes are there }
# type: xdp
# expect: accept
    ldxw %r2, [%r1+0]
    ldxw %r3, [%r1+4]

    mov %r4, %r2
    add %r4, 3
    mov %r0, 1
    jgt %r3, %r4, ok
    exit
ok:
    ldxw %r5, [%r2+0]
    exit
