# scalar += pointer makes the scalar the pointer.
# type: kprobe
# expect: accept
    stdw [%r10-8], 3
    mov %r2, -8
    add %r2, %r10
    ldxdw %r0, [%r2+0]
    exit
