# The state at the loop head repeats exactly.
# type: socket_filter
# expect: reject infinite loop detected
    mov %r0, 0
    mov %r1, 5
loop:
    add %r0, 1
    and %r0, 3
    jne %r1, 0, loop
    exit
