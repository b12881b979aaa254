# type: sched_cls
# expect: accept
    ldxw %r2, [%r1+140]
    ldxw %r3, [%r1+76]
    mov %r0, 0
    exit
