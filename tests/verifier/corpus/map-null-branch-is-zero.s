# On the NULL side the pointer is the number 0; dereferencing it there is refused.
# type: kprobe
# map: 1 hash 4 8 16
# expect: reject invalid mem access 'scalar'
    stw [%r10-4], 0
    mov %r2, %r10
    add %r2, -4
    lddw %r1, map_fd(1)
    call 1

    jne %r0, 0, out
    ldxdw %r0, [%r0+0]
out:
    mov %r0, 0
    exit
