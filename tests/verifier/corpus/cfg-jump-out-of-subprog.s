# A jump may not leave its function.
# type: socket_filter
# expect: reject jump out of range from insn 4 to 2
    mov %r0, 0
    call local f
main_end:
    exit
f:
    mov %r0, 1
    ja main_end
    exit
