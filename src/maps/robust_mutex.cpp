#include "maps/robust_mutex.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace bpfrt {

void RobustMutex::init() {
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(&mutex, &attr);
  pthread_mutexattr_destroy(&attr);
}

RobustLock::RobustLock(RobustMutex& m) : m_(m) {
  const int rc = pthread_mutex_lock(&m_.mutex);
  if (rc == EOWNERDEAD) {
    recovered_ = true;
  } else if (rc != 0) {
    // ENOTRECOVERABLE cannot happen: every recovering holder marks the lock consistent on release.
    std::fprintf(stderr, "bpfrt: fatal: shared lock failed: %s\n", std::strerror(rc));
    std::abort();
  }
}

void RobustLock::consistent() {
  if (recovered_) {
    pthread_mutex_consistent(&m_.mutex);
    recovered_ = false;
  }
}

RobustLock::~RobustLock() {
  consistent();
  pthread_mutex_unlock(&m_.mutex);
}

bool process_alive(uint32_t pid) {
  if (pid == 0) {
    return false;
  }
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

namespace {

// Bumped in a forked child, so per-thread caches of ids are refreshed there.
std::atomic<uint64_t> g_fork_generation{1};

uint64_t fork_generation() {
  static const bool registered = [] {
    pthread_atfork(nullptr, nullptr, [] { g_fork_generation.fetch_add(1, std::memory_order_relaxed); });
    return true;
  }();
  (void)registered;
  return g_fork_generation.load(std::memory_order_relaxed);
}

struct CachedIds {
  uint64_t generation = 0;
  uint32_t tid = 0;
  uint32_t pid = 0;
};

const CachedIds& ids() {
  thread_local CachedIds cached;
  const uint64_t gen = fork_generation();
  if (cached.generation != gen) {
    cached.tid = static_cast<uint32_t>(::syscall(SYS_gettid));
    cached.pid = static_cast<uint32_t>(::getpid());
    cached.generation = gen;
  }
  return cached;
}

}  // namespace

uint32_t current_tid() {
  return ids().tid;
}

uint32_t current_pid() {
  return ids().pid;
}

}  // namespace bpfrt
