# type: kprobe
# expect: reject At subprogram exit the register R0 is not a scalar value
    call local f
    mov %r0, 0
    exit
f:
    mov %r0, %r10
    exit
