# type: xdp
# expect: reject BPF_LD_[ABS|IND] instructions not allowed for this program type
    mov %r6, %r1
    ldabsb 12
    exit
