# tc classifiers may set the mark, priority and tc_classid.
# type: sched_cls
# expect: accept
    mov %r7, 1
    stxw [%r1+8], %r7
    mov %r7, 2
    stxw [%r1+32], %r7
    mov %r7, 3
    stxw [%r1+72], %r7
    mov %r0, 0
    exit
