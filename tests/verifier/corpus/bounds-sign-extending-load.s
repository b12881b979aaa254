# ldxsb gives [-128, 127]: adding 128 makes a valid index into 256 bytes.
# type: kprobe
# map: 1 array 4 256 1
# expect: accept
    stdw [%r10-8], 0
    ldxsb %r2, [%r10-8]
    add %r2, 128
    lddw %r3, map_value(1, 0)
    add %r3, %r2
    ldxb %r0, [%r3+0]
    exit
