// Reading and writing memory that may not be mapped, without faulting: the probe_read family and
// the string arguments of the printf helpers. Uses process_vm_readv/writev on this process, which
// report a bad address as EFAULT instead of raising SIGSEGV.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace bpfrt::helpers {

// Copies n bytes from addr; false (and dst untouched past what was read) on a fault.
bool safe_read(void* dst, uint64_t addr, size_t n);
bool safe_write(uint64_t addr, const void* src, size_t n);
// Copies a NUL-terminated string of at most max - 1 bytes plus the NUL into dst; returns the length
// including the NUL, or -EFAULT.
long safe_read_str(char* dst, uint64_t addr, size_t max);

}  // namespace bpfrt::helpers
