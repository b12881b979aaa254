# A context pointer must be dereferenced unmodified, with the field in the offset.
# type: socket_filter
# expect: reject dereference of modified ctx ptr
    add %r1, 4
    ldxw %r0, [%r1+0]
    exit
