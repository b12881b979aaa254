# A packet pointer proven past data_end (pkt > pkt_end taken) stays past it: comparing it again has
# one outcome, so the path with r6 = 0 never reaches the load (the kernel's BEYOND_PKT_END; clang
# emits this when it merges two bounds checks).
# type: xdp
# expect: accept
    ldxw %r2, [%r1+4]
    ldxw %r3, [%r1]
    mov %r1, %r3
    add %r1, 34
    mov %r6, 0
    jgt %r1, %r2, +2
    add %r3, 14
    mov %r6, %r3
    mov %r0, 2
    jgt %r1, %r2, +1
    ldxw %r0, [%r6+12]
    exit
