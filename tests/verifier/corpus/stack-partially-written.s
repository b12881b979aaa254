# Four bytes written, eight read.
# type: socket_filter
# expect: reject invalid read from stack
    stw [%r10-8], 1
    ldxdw %r0, [%r10-8]
    exit
