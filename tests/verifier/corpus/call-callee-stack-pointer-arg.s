# The callee reads what the caller left on its stack.
# type: socket_filter
# expect: accept
    stdw [%r10-8], 9
    mov %r1, %r10
    add %r1, -8
    call local f
    exit
f:
    ldxdw %r0, [%r1+0]
    exit
