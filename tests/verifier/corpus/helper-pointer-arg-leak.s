# Passing an address as a plain number leaks it: socket filters may not.
# type: socket_filter
# expect: reject leaks addr into helper function
    stdw [%r10-8], 0x000a7025
    mov %r1, %r10
    add %r1, -8
    mov %r2, 4
    mov %r3, %r10
    mov %r4, 0
    mov %r5, 0
    call 6
    mov %r0, 0
    exit
