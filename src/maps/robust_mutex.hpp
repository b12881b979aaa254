// Locks that live in shared memory and survive the death of their holder.
//
// RobustMutex is a process-shared, robust pthread mutex: if a process dies holding it, the next
// locker gets it with `recovered()` set, repairs whatever the dead holder left half-done, and the lock
// is marked consistent again. Nothing stays stuck. Zeroed memory is not a valid RobustMutex: call
// init() once when laying out fresh memory.
#pragma once

#include <atomic>
#include <cstdint>

#include <pthread.h>

namespace bpfrt {

struct RobustMutex {
  pthread_mutex_t mutex;

  void init();
};

class RobustLock {
 public:
  explicit RobustLock(RobustMutex& m);
  ~RobustLock();
  RobustLock(const RobustLock&) = delete;
  RobustLock& operator=(const RobustLock&) = delete;

  // The previous holder died while holding the lock; the caller must repair the data it guards.
  // The lock is marked consistent when this guard is released (or by consistent()).
  bool recovered() const { return recovered_; }
  void consistent();

 private:
  RobustMutex& m_;
  bool recovered_ = false;
};

// True if a process with this pid exists (a pid of 0 counts as gone).
bool process_alive(uint32_t pid);
// This thread's id, cached.
uint32_t current_tid();
uint32_t current_pid();

// Busy-wait hint.
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

}  // namespace bpfrt
