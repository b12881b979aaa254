# tc classifiers have direct packet access too.
# type: sched_cls
# expect: accept
    ldxw %r2, [%r1+76]
    ldxw %r3, [%r1+80]
    mov %r4, %r2
    add %r4, 34
    mov %r0, 0
    jgt %r4, %r3, out
    ldxb %r5, [%r2+23]
    stb [%r2+22], 64
out:
    exit
