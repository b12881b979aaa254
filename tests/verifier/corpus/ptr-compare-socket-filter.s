# Comparing an address with a number reveals it bit by bit.
# type: socket_filter
# expect: reject pointer comparison prohibited
    mov %r0, 0
    jgt %r1, 1000, out
    mov %r0, 1
out:
    exit
