# Passing an address as a plain number (an ARG_ANYTHING argument) leaks it: socket filters may not.
# type: socket_filter
# map: 1 prog_array 4 4 4
# expect: reject leaks addr into helper function
    lddw %r2, map_fd(1)
    mov %r3, %r10
    call 12
    mov %r0, 0
    exit
