# The branch on the copy r4 decides which path reaches the access through r1.
# type: kprobe
# expect: reject invalid read from stack
    ldxb %r2, [%r1+0]
    mov %r1, 100
    jne %r2, 0, join
    mov %r1, 0
join:

    mov %r4, %r1
    jgt %r4, 200, out
    stdw [%r10-8], 0
    mov %r3, %r10
    add %r3, -8
    add %r3, %r1
    ldxb %r0, [%r3+0]
out:
    mov %r0, 0
    exit
