// bpf_probe_read{,_user,_kernel}{,_str} and bpf_probe_write_user: memory the program could not
// touch directly, read or written without ever faulting (a bad address gives -EFAULT).
#include <cerrno>
#include <cstring>

#include "helpers/helper_impls.hpp"
#include "helpers/helper_util.hpp"
#include "helpers/safe_memory.hpp"

namespace bpfrt::helpers {

uint64_t probe_read(uint64_t dst, uint64_t size, uint64_t src, uint64_t, uint64_t, RunContext* rc) {
  if (!check_memory(rc, dst, size, true, "bpf_probe_read: the destination is outside the program's memory")) {
    return 0;
  }
  if (!safe_read(reinterpret_cast<void*>(dst), src, size)) {
    std::memset(reinterpret_cast<void*>(dst), 0, size);
    return static_cast<uint64_t>(-EFAULT);
  }
  return 0;
}

uint64_t probe_read_str(uint64_t dst, uint64_t size, uint64_t src, uint64_t, uint64_t, RunContext* rc) {
  if (!check_memory(rc, dst, size, true, "bpf_probe_read_str: the destination is outside the program's memory")) {
    return 0;
  }
  const long n = safe_read_str(reinterpret_cast<char*>(dst), src, size);
  if (n < 0) {
    std::memset(reinterpret_cast<void*>(dst), 0, size);
  }
  return static_cast<uint64_t>(n);
}

uint64_t probe_write_user(uint64_t dst, uint64_t src, uint64_t len, uint64_t, uint64_t, RunContext* rc) {
  if (!check_memory(rc, src, len, false, "bpf_probe_write_user: the source is outside the program's memory")) {
    return 0;
  }
  return safe_write(dst, reinterpret_cast<const void*>(src), len) ? 0 : static_cast<uint64_t>(-EFAULT);
}

}  // namespace bpfrt::helpers
