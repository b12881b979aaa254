# A count of zero bytes that no check depends on: states differing only in it are pruned.
# type: kprobe
# map: 1 array 4 32 1
# expect: accept
    lddw %r6, map_value(1, 0)
    mov %r0, 0
    mov %r2, 0
loop:
    mov %r3, %r6
    add %r3, %r2
    ldxb %r4, [%r3+0]
    jne %r4, 0, skip
    add %r0, 1
skip:
    add %r2, 1
    jlt %r2, 24, loop
    exit
