# type: kprobe
# expect: reject invalid mem access 'scalar'
    mov %r2, 0x1000
    ldxdw %r0, [%r2+0]
    exit
