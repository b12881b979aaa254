# The low half of an address is still an address.
# type: socket_filter
# expect: reject partial copy of pointer
    mov32 %r2, %r10
    mov %r0, 0
    exit
