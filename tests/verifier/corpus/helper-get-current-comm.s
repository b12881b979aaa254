# get_current_comm fills the buffer it is given.
# type: tracepoint
# expect: accept
    mov %r1, %r10
    add %r1, -16
    mov %r2, 16
    call 16
    ldxb %r0, [%r10-16]
    exit
