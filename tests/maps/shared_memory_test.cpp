// Maps in shared memory across processes: a map made by one process is read and written by another;
// forked children; a process SIGKILLed in the middle of updates leaves the map consistent and usable;
// objects are created 0600; a segment that does not fit is a clean error.
#include <cerrno>
#include <chrono>
#include <future>
#include <random>
#include <set>

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "map_test_util.hpp"
#include "maps/arena.hpp"
#include "maps/robust_mutex.hpp"

namespace bpfrt {
namespace {

using test::must_create;
using test::spec_of;

// Removes the shared-memory object when the test ends.
struct ShmName {
  explicit ShmName(const std::string& what) : name(test::unique_shm_name(what)) {}
  ~ShmName() { (void)unlink_map_storage(name); }
  std::string name;
};

int wait_child(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(SharedMemory, SecondHandleSeesTheSameMap) {
  ShmName shm("same");
  auto a = must_create(spec_of(MapType::kHash, 4, 8, 16), {shm.name});
  auto b = open_map(shm.name);
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ((*b)->spec().type, MapType::kHash);
  EXPECT_EQ((*b)->max_entries(), 16u);
  uint32_t k = 4;
  uint64_t v = 44, out = 0;
  ASSERT_EQ(a->update(&k, &v), 0);
  ASSERT_EQ((*b)->lookup(&k, &out), 0);
  EXPECT_EQ(out, 44u);
  // Program pointers differ per mapping but reach the same memory.
  *static_cast<uint64_t*>((*b)->prog_lookup(&k)) = 45;
  ASSERT_EQ(a->lookup(&k, &out), 0);
  EXPECT_EQ(out, 45u);
}

TEST(SharedMemory, CreatedWithMode0600AndExclusively) {
  ShmName shm("mode");
  auto map = must_create(spec_of(MapType::kArray, 4, 8, 4), {shm.name});
  struct stat st {};
  ASSERT_EQ(stat(("/dev/shm/" + shm.name).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = create_map(spec_of(MapType::kArray, 4, 8, 4), {shm.name});
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("exists"), std::string::npos) << again.error().message;
  EXPECT_FALSE(open_map("bpfrt-test-no-such-map").ok());
  EXPECT_FALSE(create_map(spec_of(MapType::kArray, 4, 8, 4), {"bad/name"}).ok());
}

TEST(SharedMemory, SegmentThatDoesNotFitIsACleanError) {
  struct statvfs fs {};
  ASSERT_EQ(statvfs("/dev/shm", &fs), 0);
  const uint64_t shm_bytes = static_cast<uint64_t>(fs.f_blocks) * fs.f_frsize;
  // An array needing twice /dev/shm: refused at creation, never a SIGBUS later.
  const uint64_t entries = 2 * shm_bytes / 4096 + 1;
  if (entries > UINT32_MAX) {
    GTEST_SKIP() << "/dev/shm is too large to overflow with one map";
  }
  ShmName shm("huge");
  auto map = create_map(spec_of(MapType::kArray, 4, 4096, static_cast<uint32_t>(entries)), {shm.name});
  ASSERT_FALSE(map.ok());
  EXPECT_EQ(map.error().code, ErrorCode::kResourceExhausted) << map.error().message;
  EXPECT_NE(map.error().message.find("cannot reserve"), std::string::npos) << map.error().message;
  EXPECT_FALSE(open_map(shm.name).ok());  // nothing left behind
}

TEST(SharedMemory, ChildWritesParentReads) {
  ShmName shm("fork");
  auto map = must_create(spec_of(MapType::kHash, 4, 8, 2048), {shm.name});
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto child = open_map(shm.name);
    if (!child) {
      _exit(2);
    }
    for (uint32_t k = 0; k < 1000; ++k) {
      const uint64_t v = k * 3;
      if ((*child)->update(&k, &v) != 0) {
        _exit(3);
      }
    }
    _exit(0);
  }
  ASSERT_EQ(wait_child(pid), 0);
  for (uint32_t k = 0; k < 1000; ++k) {
    uint64_t v = 0;
    ASSERT_EQ(map->lookup(&k, &v), 0) << k;
    EXPECT_EQ(v, k * 3);
  }
}

TEST(SharedMemory, ReaderAndWriterProcessesRunConcurrently) {
  ShmName shm("rw");
  auto map = must_create(spec_of(MapType::kHash, 4, 16, 64), {shm.name});
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto child = open_map(shm.name);
    if (!child) {
      _exit(2);
    }
    // Values are (n, n * 7) pairs; a reader must never see a torn pair.
    for (uint64_t n = 1; n <= 200000; ++n) {
      const uint32_t k = static_cast<uint32_t>(n % 64);
      const uint64_t v[2] = {n, n * 7};
      if ((*child)->update(&k, v) != 0) {
        _exit(3);
      }
    }
    _exit(0);
  }
  int torn = 0;
  int reads = 0;
  while (waitpid(pid, nullptr, WNOHANG) == 0) {
    for (uint32_t k = 0; k < 64; ++k) {
      uint64_t v[2];
      if (map->lookup(&k, v) == 0) {
        ++reads;
        torn += v[1] != v[0] * 7 ? 1 : 0;
      }
    }
  }
  EXPECT_GT(reads, 0);
  EXPECT_EQ(torn, 0);
}

TEST(SharedMemory, RobustLockRecoversFromADeadHolder) {
  ShmName shm("lock");
  auto arena = Arena::create_shared(shm.name, 4096);
  ASSERT_TRUE(arena.ok());
  auto* m = reinterpret_cast<RobustMutex*>((*arena)->base());
  m->init();
  const pid_t pid = fork();
  if (pid == 0) {
    new RobustLock(*m);  // never released: the process dies holding it
    _exit(0);
  }
  ASSERT_EQ(wait_child(pid), 0);
  {
    RobustLock lock(*m);
    EXPECT_TRUE(lock.recovered());
  }
  RobustLock again(*m);
  EXPECT_FALSE(again.recovered());
}

// Runs fn on a thread; fails the test if it does not finish in time (a stuck lock).
template <class F>
void within_seconds(int seconds, F&& fn) {
  auto done = std::async(std::launch::async, std::forward<F>(fn));
  ASSERT_EQ(done.wait_for(std::chrono::seconds(seconds)), std::future_status::ready) << "operation hung";
  done.get();
}

// Children hammer a map with updates and deletes and are SIGKILLed at random moments. Afterwards
// every operation still works, nothing is stuck, and the whole capacity is usable again.
void kill_storm(MapType type, uint32_t max_entries) {
  ShmName shm("kill");
  MapSpec spec = spec_of(type, type == MapType::kQueue ? 0 : 4, 8, max_entries);
  if (type == MapType::kLpmTrie) {
    spec = spec_of(type, 8, 8, max_entries, 1);
  }
  auto map = must_create(spec, {shm.name});
  std::mt19937 rng(11);
  for (int round = 0; round < 30; ++round) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto child = open_map(shm.name);
      if (!child) {
        _exit(2);
      }
      std::mt19937 crng(static_cast<uint32_t>(getpid()));
      std::vector<uint64_t> value((*child)->user_value_size() / 8 + 1);
      for (uint64_t i = 0;; ++i) {
        value[0] = i;
        uint32_t key[2] = {static_cast<uint32_t>(crng() % (2 * max_entries)), 0};
        if (type == MapType::kLpmTrie) {
          key[1] = key[0];
          key[0] = 32;
        }
        if (type == MapType::kQueue) {
          if (crng() % 2 == 0) {
            (*child)->update(nullptr, &i, kBpfExist);
          } else {
            uint64_t out;
            (*child)->lookup_and_delete(nullptr, &out);
          }
        } else if (crng() % 3 == 0) {
          (*child)->erase(key);
        } else {
          (*child)->update(key, value.data(), kBpfAny);
        }
      }
    }
    std::this_thread::sleep_for(std::chrono::microseconds(500 + rng() % 3000));
    kill(pid, SIGKILL);
    ASSERT_EQ(wait_child(pid), 128 + SIGKILL);
  }
  within_seconds(20, [&] {
    // Empty the map, then fill it to exactly its capacity.
    if (type == MapType::kQueue) {
      uint64_t out;
      while (map->lookup_and_delete(nullptr, &out) == 0) {
      }
      for (uint64_t i = 0; i < max_entries; ++i) {
        EXPECT_EQ(map->update(nullptr, &i, kBpfAny), 0) << i;
      }
      uint64_t extra = 1;
      EXPECT_EQ(map->update(nullptr, &extra, kBpfAny), -E2BIG);
      return;
    }
    std::vector<uint8_t> key(spec.key_size), next(spec.key_size);
    while (map->get_next_key(nullptr, next.data()) == 0) {
      ASSERT_EQ(map->erase(next.data()), 0);
    }
    int rc = 0;
    uint32_t inserted = 0;
    std::vector<uint64_t> value(map->user_value_size() / 8 + 1);
    for (uint32_t k = 0; k < max_entries + 1; ++k) {
      uint32_t kw[2] = {k, 0};
      if (type == MapType::kLpmTrie) {
        kw[0] = 32;
        kw[1] = k;
      }
      value[0] = k;
      // Leaked elements come back after at most one reclamation pass (rate-limited to 100 ms).
      for (int tries = 0; tries < 3; ++tries) {
        rc = map->update(kw, value.data(), kBpfAny);
        if (rc != -E2BIG || k >= max_entries) {
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(110));
      }
      if (k < max_entries) {
        ASSERT_EQ(rc, 0) << "could not insert key " << k << " of " << max_entries;
        ++inserted;
      }
    }
    EXPECT_EQ(inserted, max_entries);
    EXPECT_EQ(rc, type == MapType::kLpmTrie ? -ENOSPC : -E2BIG);
  });
}

TEST(SharedMemory, HashSurvivesProcessesKilledMidUpdate) {
  kill_storm(MapType::kHash, 64);
}
TEST(SharedMemory, PercpuHashSurvivesProcessesKilledMidUpdate) {
  kill_storm(MapType::kPercpuHash, 64);
}
TEST(SharedMemory, LpmTrieSurvivesProcessesKilledMidUpdate) {
  kill_storm(MapType::kLpmTrie, 64);
}
TEST(SharedMemory, QueueSurvivesProcessesKilledMidUpdate) {
  kill_storm(MapType::kQueue, 64);
}

TEST(SharedMemory, RingBufferAcrossProcessesAndDeadProducers) {
  ShmName shm("ring");
  auto rb = must_create(spec_of(MapType::kRingbuf, 0, 0, 16384), {shm.name});
  auto consumer = RingBufferConsumer::create(rb);
  ASSERT_TRUE(consumer.ok());
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto child = open_map(shm.name);
    if (!child) {
      _exit(2);
    }
    // A reservation this process never submits: it dies holding it.
    ringbuf::reserve(**child, 16, 0);
    usleep(100000);
    for (uint32_t i = 0; i < 10; ++i) {
      ringbuf::output(**child, &i, 4, 0);
    }
    _exit(0);
  }
  std::vector<uint32_t> got;
  auto collect = [&](std::span<const uint8_t> rec) {
    uint32_t v;
    std::memcpy(&v, rec.data(), 4);
    got.push_back(v);
    return 0;
  };
  for (int i = 0; i < 100 && got.size() < 10; ++i) {
    auto n = (*consumer)->poll(100, collect);
    ASSERT_TRUE(n.ok());
    if (waitpid(pid, nullptr, WNOHANG) == pid) {
      // The producer is gone: its abandoned reservation no longer blocks the ring.
      (*consumer)->consume(collect);
      break;
    }
  }
  EXPECT_EQ(got, (std::vector<uint32_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

}  // namespace
}  // namespace bpfrt
