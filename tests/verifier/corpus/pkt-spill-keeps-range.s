# A checked packet pointer spilled to the stack keeps its range.
# type: xdp
# expect: accept
    ldxw %r2, [%r1+0]
    ldxw %r3, [%r1+4]

    mov %r4, %r2
    add %r4, 4
    mov %r0, 1
    jgt %r4, %r3, out
    stxdw [%r10-8], %r2
    ldxdw %r5, [%r10-8]
    ldxw %r0, [%r5+0]
    mov %r0, 2
out:
    exit
