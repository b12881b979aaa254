# if (data + 8 <= data_end) { read 8 bytes }
# type: xdp
# expect: accept
    ldxw %r2, [%r1+0]
    ldxw %r3, [%r1+4]

    mov %r4, %r2
    add %r4, 8
    mov %r0, 1
    jle %r4, %r3, ok
    exit
ok:
    ldxdw %r5, [%r2+0]
    exit
