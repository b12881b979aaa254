# type: socket_filter
# expect: reject cannot be mixed with bpf-to-bpf calls
    mov %r6, %r1
    ldabsb 12
    call local f
    exit
f:
    mov %r0, 0
    exit
