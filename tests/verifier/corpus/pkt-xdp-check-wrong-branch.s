# The bytes are only known to be present on the other side of the comparison.
# type: xdp
# expect: reject invalid access to packet
    ldxw %r2, [%r1+0]
    ldxw %r3, [%r1+4]

    mov %r4, %r2
    add %r4, 14
    mov %r0, 1
    jle %r4, %r3, out
    ldxb %r5, [%r2+0]
out:
    exit
