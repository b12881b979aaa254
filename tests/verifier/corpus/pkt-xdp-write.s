# XDP may rewrite packet bytes it proved present.
# type: xdp
# expect: accept
    ldxw %r2, [%r1+0]
    ldxw %r3, [%r1+4]

    mov %r4, %r2
    add %r4, 6
    mov %r0, 1
    jgt %r4, %r3, out
    sth [%r2+0], 0
    stw [%r2+2], 0
    mov %r0, 2
out:
    exit
