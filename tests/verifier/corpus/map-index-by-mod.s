# i % 8 bounds the index: bpfrt tracks unsigned remainders by constants; the kernel does not.
# type: kprobe
# map: 1 array 4 64 4
# kernel: differs bpfrt bounds the result of unsigned mod/div by a constant, the kernel treats it as unknown
# expect: accept
    stw [%r10-4], 0
    mov %r2, %r10
    add %r2, -4
    lddw %r1, map_fd(1)
    call 1

    jeq %r0, 0, out
    ldxdw %r1, [%r0+0]
    mod %r1, 8
    lsh %r1, 3
    add %r0, %r1
    ldxdw %r2, [%r0+0]
out:
    mov %r0, 0
    exit
