# Each call verifies the callee with the caller's arguments.
# type: socket_filter
# expect: accept
    stdw [%r10-8], 0
    mov %r1, %r10
    add %r1, -8
    call local get
    mov %r6, %r0
    mov %r1, %r10
    add %r1, -8
    call local get
    add %r0, %r6
    exit
get:
    ldxdw %r0, [%r1+0]
    exit
