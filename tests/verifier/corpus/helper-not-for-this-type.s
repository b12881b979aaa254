# XDP programs are not tracing programs: no probe_read.
# type: xdp
# expect: reject program of this type cannot use helper probe_read#4
    mov %r1, %r10
    add %r1, -8
    mov %r2, 8
    mov %r3, 0
    call 4
    mov %r0, 2
    exit
