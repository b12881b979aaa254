# Reading stack bytes never written.
# type: socket_filter
# expect: reject invalid read from stack
    ldxdw %r0, [%r10-8]
    exit
