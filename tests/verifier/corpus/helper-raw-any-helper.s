# Raw programs may call every helper in the table.
# type: raw
# expect: accept
    call 7
    exit
