# 320 bytes in the caller plus 256 in the callee exceed the 512-byte stack.
# type: socket_filter
# expect: reject combined stack size
    stdw [%r10-320], 1
    call local callee
    exit
callee:
    stdw [%r10-256], 2
    mov %r0, 0
    exit
