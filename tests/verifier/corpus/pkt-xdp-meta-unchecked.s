# type: xdp
# expect: reject invalid access to packet
    ldxw %r2, [%r1+8]
    ldxw %r0, [%r2+0]
    mov %r0, 2
    exit
