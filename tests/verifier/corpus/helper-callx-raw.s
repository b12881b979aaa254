# callx with a known helper id: a bpfrt extension, as in the conformance suite.
# type: raw
# expect: accept
    mov %r6, 5
    call %r6
    exit
