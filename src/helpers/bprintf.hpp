// The printf dialect of bpf_trace_printk, bpf_trace_vprintk and bpf_snprintf, after the kernel's
// bpf_bprintf_prepare: %d %i %u %x %X with an optional l or ll, %c, %s, %p, %pK, %px, %pks, %pus
// (strings behind a pointer), %pI4 %pi4 %pI6 %pi6 (IP addresses behind a pointer) and %%, with flags,
// width and precision. Anything else, or more conversions than arguments, is -EINVAL. String and
// address arguments are read without faulting; an unreadable string prints as empty.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace bpfrt::helpers {

// Formats into `out`; 0 or -EINVAL.
int bpf_bprintf(std::string& out, const char* fmt, size_t fmt_len, const uint64_t* args, size_t nargs);

}  // namespace bpfrt::helpers
