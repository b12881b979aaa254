# An 8-byte key starting 4 bytes below the frame pointer runs off the stack.
# type: kprobe
# map: 1 hash 8 8 16
# expect: reject invalid indirect access to stack
    stw [%r10-4], 1
    mov %r2, %r10
    add %r2, -4
    lddw %r1, map_fd(1)
    call 1
    mov %r0, 0
    exit
