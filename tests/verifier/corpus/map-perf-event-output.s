# type: kprobe
# map: 1 perf_event_array 4 4 4
# expect: accept
    mov %r6, %r1
    stdw [%r10-8], 7
    mov %r1, %r6
    lddw %r2, map_fd(1)
    lddw %r3, 0xffffffff
    mov %r4, %r10
    add %r4, -8
    mov %r5, 8
    call 25
    mov %r0, 0
    exit
