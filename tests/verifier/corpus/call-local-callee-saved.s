# The caller's r6-r9 are its own: the callee cannot change them.
# type: socket_filter
# expect: accept
    mov %r6, 1
    call local f
    mov %r0, %r6
    exit
f:
    mov %r6, 2
    mov %r0, 0
    exit
