# The value returns from a subprogram before it offsets the pointer.
# type: kprobe
# expect: reject invalid read from stack
    ldxb %r2, [%r1+0]
    mov %r6, 100
    jne %r2, 0, join
    mov %r6, 0
join:
    mov %r1, %r6
    call local id
    stdw [%r10-8], 0
    mov %r3, %r10
    add %r3, -8
    add %r3, %r0
    ldxb %r0, [%r3+0]
    exit
id:
    mov %r0, %r1
    exit
