# Checking a copy of the pointer checks the original too.
# type: kprobe
# map: 1 hash 4 8 16
# expect: accept
    stw [%r10-4], 0
    mov %r2, %r10
    add %r2, -4
    lddw %r1, map_fd(1)
    call 1

    mov %r6, %r0
    jeq %r6, 0, out
    mov %r1, 1
    stxdw [%r0+0], %r1
out:
    mov %r0, 0
    exit
