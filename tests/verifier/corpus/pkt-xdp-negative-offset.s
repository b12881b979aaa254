# type: xdp
# expect: reject invalid access to packet, off=-1
    ldxw %r2, [%r1+0]
    ldxw %r3, [%r1+4]

    mov %r4, %r2
    add %r4, 8
    mov %r0, 1
    jgt %r4, %r3, out
    ldxb %r0, [%r2-1]
out:
    exit
