# Bytes written individually make up a readable word.
# type: socket_filter
# expect: accept
    stb [%r10-4], 1
    stb [%r10-3], 2
    sth [%r10-2], 3
    ldxw %r0, [%r10-4]
    exit
