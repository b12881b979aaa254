// bpf_spin_lock on a word of map memory (see map_base.hpp).
#include <sched.h>
#include <time.h>

#include "maps/map_base.hpp"
#include "maps/robust_mutex.hpp"

namespace bpfrt {

SpinLockResult spin_lock(uint32_t* word) {
  const uint32_t me = current_tid();
  uint32_t expected = 0;
  if (__atomic_compare_exchange_n(word, &expected, me, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
    return SpinLockResult::kLocked;
  }
  timespec start{};
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (uint64_t spins = 1;; ++spins) {
    expected = __atomic_load_n(word, __ATOMIC_RELAXED);
    if (expected == me) {
      return SpinLockResult::kSelfDeadlock;
    }
    if (expected == 0 || (spins % 1024 == 0 && !process_alive(expected))) {
      // Free, or held by a thread that no longer exists: take it.
      if (__atomic_compare_exchange_n(word, &expected, me, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
        return SpinLockResult::kLocked;
      }
      continue;
    }
    if (spins % 64 == 0) {
      sched_yield();
      timespec now{};
      clock_gettime(CLOCK_MONOTONIC, &now);
      if (now.tv_sec - start.tv_sec >= 2) {
        return SpinLockResult::kTimeout;
      }
    } else {
      cpu_relax();
    }
  }
}

void spin_unlock(uint32_t* word) {
  uint32_t me = current_tid();
  __atomic_compare_exchange_n(word, &me, 0, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
}

}  // namespace bpfrt
