# After "if (x & ~7) goto out" x is at most 7.
# type: kprobe
# expect: accept
    stdw [%r10-8], 0
    ldxdw %r2, [%r1+0]
    jset %r2, -8, out
    mov %r4, %r10
    add %r4, -8
    add %r4, %r2
    ldxb %r0, [%r4+0]
    exit
out:
    mov %r0, 0
    exit
