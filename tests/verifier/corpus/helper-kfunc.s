# bpfrt has no kernel functions.
# type: raw
# expect: reject kfunc calls are not supported
    call kfunc 1
    exit
