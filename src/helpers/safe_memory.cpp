#include "helpers/safe_memory.hpp"

#include <cerrno>
#include <cstring>

#include <sys/uio.h>
#include <unistd.h>

#include "maps/robust_mutex.hpp"

namespace bpfrt::helpers {
namespace {

constexpr uint64_t kPage = 4096;

bool transfer(void* local, uint64_t remote, size_t n, bool write) {
  if (n == 0) {
    return true;
  }
  if (remote + n < remote) {
    return false;
  }
  iovec l{local, n};
  iovec r{reinterpret_cast<void*>(remote), n};
  const auto pid = static_cast<pid_t>(current_pid());
  const ssize_t done = write ? process_vm_writev(pid, &l, 1, &r, 1, 0) : process_vm_readv(pid, &l, 1, &r, 1, 0);
  return done == static_cast<ssize_t>(n);
}

}  // namespace

bool safe_read(void* dst, uint64_t addr, size_t n) {
  return transfer(dst, addr, n, false);
}

bool safe_write(uint64_t addr, const void* src, size_t n) {
  return transfer(const_cast<void*>(src), addr, n, true);
}

long safe_read_str(char* dst, uint64_t addr, size_t max) {
  if (max == 0) {
    return 0;
  }
  size_t copied = 0;
  while (copied < max - 1) {
    // Read up to the end of the page: the next page may be unmapped.
    const uint64_t at = addr + copied;
    const size_t chunk = std::min<size_t>(max - 1 - copied, kPage - at % kPage);
    if (!safe_read(dst + copied, at, chunk)) {
      return -EFAULT;
    }
    if (const void* nul = std::memchr(dst + copied, 0, chunk); nul != nullptr) {
      return static_cast<long>(static_cast<const char*>(nul) - dst) + 1;
    }
    copied += chunk;
  }
  dst[max - 1] = '\0';
  return static_cast<long>(max);
}

}  // namespace bpfrt::helpers
