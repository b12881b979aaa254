# The callback is verified like any function: its accesses are checked.
# type: kprobe
# expect: reject invalid read from stack R2 off=0 size=8
    stdw [%r10-8], 0
    mov %r1, 10
    lddw %r2, func(cb)
    mov %r3, %r10
    add %r3, -8
    mov %r4, 0
    call 181
    mov %r0, 0
    exit
cb:
    ldxdw %r3, [%r2+8]
    mov %r0, 0
    exit
