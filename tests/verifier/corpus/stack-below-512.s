# Only 512 bytes below the frame pointer belong to the frame.
# type: socket_filter
# expect: reject invalid write to stack
    stdw [%r10-520], 1
    mov %r0, 0
    exit
