# if (data_end >= data + 4) { read 4 bytes }
# type: xdp
# expect: accept
    ldxw %r2, [%r1+0]
    ldxw %r3, [%r1+4]

    mov %r4, %r2
    add %r4, 4
    mov %r0, 1
    jge %r3, %r4, ok
    exit
ok:
    ldxw %r5, [%r2+0]
    exit
