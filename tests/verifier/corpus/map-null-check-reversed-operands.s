# 0 == ptr, with the zero in a register.
# type: kprobe
# map: 1 hash 4 8 16
# kernel: differs bpfrt also recognises a NULL check with the zero as the first operand
# expect: accept
    stw [%r10-4], 0
    mov %r2, %r10
    add %r2, -4
    lddw %r1, map_fd(1)
    call 1

    mov %r3, 0
    jeq %r3, %r0, out
    ldxdw %r4, [%r0+0]
out:
    mov %r0, 0
    exit
