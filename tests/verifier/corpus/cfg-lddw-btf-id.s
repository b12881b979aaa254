# type: raw
# expect: reject lddw btf_id is not supported
    lddw %r1, btf_id(1)
    mov %r0, 0
    exit
