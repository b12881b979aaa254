# Packet bytes need a data_end comparison first.
# type: xdp
# expect: reject invalid access to packet
    ldxw %r2, [%r1+0]
    ldxw %r3, [%r1+4]

    ldxb %r0, [%r2+0]
    exit
