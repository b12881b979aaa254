# Raw programs load from their context as the packet; no r6 needed.
# type: raw
# expect: accept
    ldabsw 0
    exit
