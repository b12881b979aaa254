# while (x) x >>= 1; always terminates and the verifier proves it by unrolling.
# type: kprobe
# expect: accept
    ldxdw %r2, [%r1+0]
    mov %r0, 0
loop:
    jeq %r2, 0, out
    rsh %r2, 1
    add %r0, 1
    ja loop
out:
    exit
