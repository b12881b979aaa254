# callx does not exist for kernel program types.
# type: kprobe
# kernel: skip the kernel refuses the unknown opcode 0x8d before verification
# expect: reject callx
    mov %r6, 5
    call %r6
    exit
