# Returning without writing r0: r0 is not initialised at entry.
# type: socket_filter
# expect: reject R0 !read_ok
    exit
