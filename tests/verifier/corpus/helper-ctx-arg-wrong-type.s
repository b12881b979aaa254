# perf_event_output wants the context in r1.
# type: kprobe
# map: 1 perf_event_array 4 4 4
# expect: reject R1 type=fp expected=ctx
    stdw [%r10-8], 7
    mov %r1, %r10
    lddw %r2, map_fd(1)
    mov %r3, 0
    mov %r4, %r10
    add %r4, -8
    mov %r5, 8
    call 25
    mov %r0, 0
    exit
