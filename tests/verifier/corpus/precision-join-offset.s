# r1 is 0 on the path verified first and 100 on the second: the state stored at the join must learn
# that r1 matters (it offsets a stack pointer) so the second path is not pruned there.
# type: kprobe
# expect: reject invalid read from stack
    ldxb %r2, [%r1+0]
    mov %r1, 100
    jne %r2, 0, join
    mov %r1, 0
join:

    stdw [%r10-8], 0
    mov %r3, %r10
    add %r3, -8
    add %r3, %r1
    ldxb %r0, [%r3+0]
    exit
