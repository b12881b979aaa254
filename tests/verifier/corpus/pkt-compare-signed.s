# Only unsigned comparisons with data_end prove anything.
# type: xdp
# expect: reject invalid access to packet
    ldxw %r2, [%r1+0]
    ldxw %r3, [%r1+4]

    mov %r4, %r2
    add %r4, 4
    mov %r0, 1
    jsgt %r4, %r3, out
    ldxw %r0, [%r2+0]
out:
    exit
