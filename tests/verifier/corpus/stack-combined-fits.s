# type: socket_filter
# expect: accept
    stdw [%r10-256], 1
    call local callee
    exit
callee:
    stdw [%r10-256], 2
    mov %r0, 0
    exit
