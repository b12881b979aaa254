# pkt >= pkt_end (the kernel's AT_PKT_END) does not make pkt > pkt_end certain: the second comparison
# can fall through with r6 = 0.
# type: xdp
# expect: reject invalid mem access 'scalar'
    ldxw %r2, [%r1+4]
    ldxw %r3, [%r1]
    mov %r1, %r3
    add %r1, 34
    mov %r6, 0
    jge %r1, %r2, +2
    add %r3, 14
    mov %r6, %r3
    mov %r0, 2
    jgt %r1, %r2, +1
    ldxw %r0, [%r6+12]
    exit
