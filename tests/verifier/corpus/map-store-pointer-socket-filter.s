# Storing a pointer into a map would leak an address: socket filters may not.
# type: socket_filter
# map: 1 hash 4 8 16
# expect: reject leaks addr into map
    stw [%r10-4], 0
    mov %r2, %r10
    add %r2, -4
    lddw %r1, map_fd(1)
    call 1

    jeq %r0, 0, out
    stxdw [%r0+0], %r0
out:
    mov %r0, 0
    exit
