// Time, randomness and the current task: what the kernel reports about `current`, here the calling
// thread and its process.
#include <cerrno>
#include <cstring>
#include <random>

#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "helpers/helper_impls.hpp"
#include "helpers/helper_util.hpp"
#include "maps/robust_mutex.hpp"

namespace bpfrt::helpers {
namespace {

uint64_t clock_ns(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// xorshift128+, seeded per thread.
struct Prandom {
  uint64_t s[2];
  Prandom() {
    std::random_device rd;
    s[0] = (static_cast<uint64_t>(rd()) << 32) | rd() | 1;
    s[1] = (static_cast<uint64_t>(rd()) << 32) | rd();
  }
  uint64_t next() {
    uint64_t a = s[0];
    const uint64_t b = s[1];
    s[0] = b;
    a ^= a << 23;
    s[1] = a ^ b ^ (a >> 17) ^ (b >> 26);
    return s[1] + b;
  }
};

}  // namespace

uint64_t ktime_get_ns(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, RunContext*) {
  return clock_ns(CLOCK_MONOTONIC);
}

uint64_t ktime_get_boot_ns(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, RunContext*) {
  return clock_ns(CLOCK_BOOTTIME);
}

uint64_t ktime_get_coarse_ns(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, RunContext*) {
  return clock_ns(CLOCK_MONOTONIC_COARSE);
}

uint64_t get_prandom_u32(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, RunContext*) {
  thread_local Prandom rng;
  return static_cast<uint32_t>(rng.next() >> 32);
}

uint64_t get_smp_processor_id(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, RunContext*) {
  return current_cpu();
}

uint64_t get_current_pid_tgid(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, RunContext*) {
  return (uint64_t{current_pid()} << 32) | current_tid();
}

uint64_t get_current_uid_gid(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, RunContext*) {
  return (uint64_t{getgid()} << 32) | getuid();
}

uint64_t get_current_comm(uint64_t buf, uint64_t size, uint64_t, uint64_t, uint64_t, RunContext* rc) {
  if (!check_memory(rc, buf, size, true, "bpf_get_current_comm: the buffer is outside the program's memory")) {
    return 0;
  }
  if (size == 0) {
    return static_cast<uint64_t>(-EINVAL);
  }
  char comm[17] = {};
  prctl(PR_GET_NAME, comm, 0, 0, 0);
  auto* out = reinterpret_cast<char*>(buf);
  std::memset(out, 0, size);
  std::strncpy(out, comm, size - 1);
  return 0;
}

uint64_t send_signal(uint64_t sig, uint64_t, uint64_t, uint64_t, uint64_t, RunContext*) {
  if (sig > 64) {
    return static_cast<uint64_t>(-EINVAL);
  }
  return ::kill(static_cast<pid_t>(current_pid()), static_cast<int>(sig)) == 0 ? 0 : static_cast<uint64_t>(-errno);
}

}  // namespace bpfrt::helpers
