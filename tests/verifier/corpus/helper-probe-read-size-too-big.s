# 33 bytes into a 32-byte buffer.
# type: kprobe
# expect: reject invalid indirect access to stack
    ldxdw %r3, [%r1+112]
    ldxdw %r2, [%r1+104]
    and %r2, 63
    jgt %r2, 33, out
    mov %r1, %r10
    add %r1, -32
    call 113
out:
    mov %r0, 0
    exit
