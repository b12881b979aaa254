# type: socket_filter
# expect: reject infinite loop detected
    mov %r0, 0
loop:
    ja loop
