# The per-key counter pattern.
# type: kprobe
# map: 1 percpu_array 4 8 1
# expect: accept
    stw [%r10-4], 0
    mov %r2, %r10
    add %r2, -4
    lddw %r1, map_fd(1)
    call 1

    jeq %r0, 0, out
    mov %r1, 1
    lock add [%r0+0], %r1
out:
    mov %r0, 0
    exit
