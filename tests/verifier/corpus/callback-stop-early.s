# A callback that stops the loop by returning 1.
# type: tracepoint
# expect: accept
    mov %r1, 1000
    lddw %r2, func(cb)
    mov %r3, 0
    mov %r4, 0
    call 181
    exit
cb:
    mov %r0, 0
    jlt %r1, 10, out
    mov %r0, 1
out:
    exit
