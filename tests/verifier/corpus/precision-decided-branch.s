# On the first path the branch to `bad` cannot be taken; on the second it can.
# type: kprobe
# expect: reject invalid read from stack R10 off=8 size=8
    ldxb %r2, [%r1+0]
    mov %r1, 100
    jne %r2, 0, join
    mov %r1, 0
join:

    mov %r0, 0
    jgt %r1, 50, bad
    exit
bad:
    ldxdw %r0, [%r10+8]
    exit
