# BPF_F_RDONLY_PROG: the program may only read.
# type: kprobe
# map: 1 array 4 16 1 flags=0x80
# expect: reject write forbidden
    lddw %r1, map_value(1, 0)
    stdw [%r1+0], 1
    mov %r0, 0
    exit
