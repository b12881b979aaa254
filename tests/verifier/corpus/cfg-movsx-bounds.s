# A sign-extended byte lies in [-128, 127].
# type: kprobe
# expect: accept
    stdw [%r10-256], 0
    ldxdw %r2, [%r1+0]
    movsx864 %r2, %r2
    add %r2, 128
    and %r2, 255
    mov %r4, %r10
    add %r4, -256
    add %r4, %r2
    stb [%r4+0], 1
    mov %r0, 0
    exit
