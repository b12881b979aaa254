# w2 = w2 - 1 wraps to 0xffffffff when w2 is 0: not a small index.
# type: kprobe
# map: 1 array 4 16 1
# expect: reject unbounded memory access
    ldxb %r2, [%r1+0]
    and %r2, 7
    sub32 %r2, 1
    lddw %r3, map_value(1, 0)
    add %r3, %r2
    ldxb %r0, [%r3+0]
    exit
