# Moving the pointer forgets that it was past data_end: after r1 += 1 the comparison is open again.
# type: xdp
# expect: reject invalid mem access 'scalar'
    ldxw %r2, [%r1+4]
    ldxw %r3, [%r1]
    mov %r1, %r3
    add %r1, 34
    mov %r6, 0
    jgt %r1, %r2, +2
    add %r3, 14
    mov %r6, %r3
    add %r1, -1
    mov %r0, 2
    jgt %r1, %r2, +1
    ldxw %r0, [%r6+12]
    exit
