# data_end can only be compared.
# type: xdp
# expect: reject pointer arithmetic on pkt_end prohibited
    ldxw %r2, [%r1+0]
    ldxw %r3, [%r1+4]

    add %r3, -8
    mov %r0, 2
    exit
