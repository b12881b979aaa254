# A function must end with exit or a jump, not run into the next one.
# type: socket_filter
# expect: reject last insn is not an exit or jmp
    call local f
    exit
f:
    mov %r0, 1
g:
    mov %r0, 2
    exit
other:
    call local g
    exit
