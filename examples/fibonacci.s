# The 90th Fibonacci number, computed in a bounded loop.
# Run: bpfrt run examples/fibonacci.s        -> 0x27f80ddaa1ba7878 (2880067194370816120)
    mov %r0, 0          # fib(i)
    mov %r1, 1          # fib(i + 1)
    mov %r2, 0          # i
loop:
    mov %r3, %r0
    add %r3, %r1
    mov %r0, %r1
    mov %r1, %r3
    add %r2, 1
    jlt %r2, 90, loop
    exit
