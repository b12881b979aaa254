# lddw map_value(fd, off): a global variable in a single-element array.
# type: kprobe
# map: 1 array 4 16 1
# expect: accept
    lddw %r1, map_value(1, 8)
    ldxdw %r0, [%r1+0]
    mov %r2, 1
    lock add [%r1+0], %r2
    exit
