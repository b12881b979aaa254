// Many threads on one map: no torn values, no lost or duplicated elements, capacity respected. Built
// and run under ThreadSanitizer by .ci/run as well.
#include <atomic>
#include <cerrno>
#include <map>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "map_test_util.hpp"

namespace bpfrt {
namespace {

using test::must_create;
using test::spec_of;

constexpr int kThreads = 4;

template <class F>
void run_threads(int n, F&& fn) {
  std::vector<std::thread> threads;
  for (int t = 0; t < n; ++t) {
    threads.emplace_back([&fn, t] { fn(t); });
  }
  for (auto& th : threads) {
    th.join();
  }
}

TEST(Concurrency, HashUpdatesLookupsDeletes) {
  auto map = must_create(spec_of(MapType::kHash, 4, 16, 128));
  std::atomic<int> torn{0};
  run_threads(kThreads, [&](int t) {
    std::mt19937 rng(static_cast<uint32_t>(t));
    for (uint64_t i = 0; i < 20000; ++i) {
      uint32_t k = rng() % 200;
      const int op = static_cast<int>(rng() % 4);
      if (op < 2) {
        const uint64_t v[2] = {i, i ^ 0x5555};
        const int rc = map->update(&k, v);
        if (rc != 0 && rc != -E2BIG) {
          ADD_FAILURE() << "update " << rc;
        }
      } else if (op == 2) {
        uint64_t v[2];
        if (map->lookup(&k, v) == 0 && v[1] != (v[0] ^ 0x5555)) {
          torn.fetch_add(1);
        }
      } else {
        map->erase(&k);
      }
    }
  });
  EXPECT_EQ(torn.load(), 0);
  // Every key once, at most max_entries of them.
  std::map<uint32_t, int> seen;
  uint32_t key = 0, next = 0;
  bool first = true;
  while (map->get_next_key(first ? nullptr : &key, &next) == 0) {
    ASSERT_EQ(++seen[next], 1);
    key = next;
    first = false;
  }
  EXPECT_LE(seen.size(), 128u);
}

TEST(Concurrency, HashFillsToExactCapacityUnderContention) {
  auto map = must_create(spec_of(MapType::kHash, 4, 8, 1000));
  std::atomic<int> inserted{0};
  run_threads(kThreads, [&](int t) {
    for (uint32_t k = static_cast<uint32_t>(t); k < 4000; k += kThreads) {
      const uint64_t v = k;
      if (map->update(&k, &v, kBpfNoexist) == 0) {
        inserted.fetch_add(1);
      }
    }
  });
  EXPECT_EQ(inserted.load(), 1000);
}

TEST(Concurrency, ProgramLookupsWhileReplacing) {
  auto map = must_create(spec_of(MapType::kHash, 4, 8, 16));
  for (uint32_t k = 0; k < 16; ++k) {
    const uint64_t v = 0;
    ASSERT_EQ(map->update(&k, &v), 0);
  }
  std::atomic<bool> stop{false};
  std::atomic<int> misses{0};
  std::thread writer([&] {
    for (uint64_t i = 0; i < 50000; ++i) {
      uint32_t k = static_cast<uint32_t>(i % 16);
      map->update(&k, &i, kBpfExist);
    }
    stop = true;
  });
  run_threads(2, [&](int) {
    while (!stop) {
      for (uint32_t k = 0; k < 16; ++k) {
        // A replaced key is always found: the new element is linked before the old one goes.
        if (map->prog_lookup(&k) == nullptr) {
          misses.fetch_add(1);
        }
      }
    }
  });
  writer.join();
  EXPECT_EQ(misses.load(), 0);
}

TEST(Concurrency, LruNeverFailsUnderContention) {
  auto map = must_create(spec_of(MapType::kLruHash, 4, 8, 64));
  std::atomic<int> failures{0};
  run_threads(kThreads, [&](int t) {
    std::mt19937 rng(static_cast<uint32_t>(t + 100));
    for (uint64_t i = 0; i < 20000; ++i) {
      uint32_t k = rng() % 1000;
      if (rng() % 2 == 0) {
        if (map->update(&k, &i) != 0) {
          failures.fetch_add(1);
        }
      } else {
        map->prog_lookup(&k);
      }
    }
  });
  EXPECT_EQ(failures.load(), 0);
}

TEST(Concurrency, PercpuHashAndArrayCounters) {
  auto hash = must_create(spec_of(MapType::kPercpuHash, 4, 8, 4));
  auto array = must_create(spec_of(MapType::kPercpuArray, 4, 8, 4));
  uint32_t k = 1;
  std::vector<uint8_t> zeros(hash->user_value_size(), 0);
  ASSERT_EQ(hash->update(&k, zeros.data()), 0);
  run_threads(kThreads, [&](int) {
    for (int i = 0; i < 10000; ++i) {
      // Threads may share a CPU: count with atomics, as programs must.
      __atomic_fetch_add(static_cast<uint64_t*>(hash->prog_lookup(&k)), 1, __ATOMIC_RELAXED);
      __atomic_fetch_add(static_cast<uint64_t*>(array->prog_lookup(&k)), 1, __ATOMIC_RELAXED);
    }
  });
  for (auto& map : {hash, array}) {
    std::vector<uint8_t> values(map->user_value_size());
    ASSERT_EQ(map->lookup(&k, values.data()), 0);
    uint64_t sum = 0;
    for (uint32_t cpu = 0; cpu < possible_cpus(); ++cpu) {
      uint64_t v;
      std::memcpy(&v, values.data() + 8 * cpu, 8);
      sum += v;
    }
    EXPECT_EQ(sum, uint64_t{kThreads} * 10000);
  }
}

TEST(Concurrency, QueuePushPop) {
  auto q = must_create(spec_of(MapType::kQueue, 0, 8, 256));
  std::atomic<uint64_t> pushed{0}, popped{0};
  run_threads(kThreads, [&](int t) {
    for (uint64_t i = 0; i < 10000; ++i) {
      if ((i + static_cast<uint64_t>(t)) % 2 == 0) {
        if (q->push(&i, kBpfAny) == 0) {
          pushed.fetch_add(1);
        }
      } else {
        uint64_t v;
        if (q->pop(&v) == 0) {
          popped.fetch_add(1);
        }
      }
    }
  });
  uint64_t left = 0, v;
  while (q->pop(&v) == 0) {
    ++left;
  }
  EXPECT_EQ(pushed.load(), popped.load() + left);
}

TEST(Concurrency, RingBufferProducersAndConsumer) {
  auto rb = must_create(spec_of(MapType::kRingbuf, 0, 0, 1 << 16));
  auto consumer = RingBufferConsumer::create(rb);
  ASSERT_TRUE(consumer.ok());
  constexpr uint64_t kPerProducer = 20000;
  std::atomic<int> producing{kThreads};
  std::vector<uint64_t> next_seq(kThreads, 0);
  int out_of_order = 0;
  uint64_t received = 0;
  auto check = [&](std::span<const uint8_t> rec) {
    uint64_t v[2];
    std::memcpy(v, rec.data(), 16);
    out_of_order += next_seq[v[0]] != v[1] ? 1 : 0;
    next_seq[v[0]] = v[1] + 1;
    ++received;
    return 0;
  };
  std::thread reader([&] {
    while (producing.load() > 0) {
      (void)(*consumer)->poll(10, check);
    }
  });
  run_threads(kThreads, [&](int t) {
    for (uint64_t i = 0; i < kPerProducer;) {
      auto* rec = static_cast<uint64_t*>(ringbuf::reserve(*rb, 16, 0));
      if (rec == nullptr) {
        std::this_thread::yield();  // full: let the consumer catch up
        continue;
      }
      rec[0] = static_cast<uint64_t>(t);
      rec[1] = i++;
      ringbuf::commit(rec, 0, false);
    }
    producing.fetch_sub(1);
  });
  reader.join();
  (*consumer)->consume(check);
  EXPECT_EQ(out_of_order, 0);
  EXPECT_EQ(received, kThreads * kPerProducer);
}

TEST(Concurrency, LpmTrieReadersAndWriters) {
  auto trie = must_create(spec_of(MapType::kLpmTrie, 8, 8, 256, 1));
  struct Key {
    uint32_t plen;
    uint8_t a[4];
  };
  // The /8 covering everything stays: lookups of any 10.x address must always hit something.
  Key base{8, {10, 0, 0, 0}};
  const uint64_t v0 = 0;
  ASSERT_EQ(trie->update(&base, &v0), 0);
  std::atomic<bool> stop{false};
  std::atomic<int> misses{0};
  std::thread writer([&] {
    std::mt19937 rng(3);
    for (int i = 0; i < 20000; ++i) {
      Key k{16 + static_cast<uint32_t>(rng() % 17), {10, static_cast<uint8_t>(rng()), static_cast<uint8_t>(rng()), 0}};
      const uint64_t v = static_cast<uint64_t>(i);
      if (rng() % 2 == 0) {
        trie->update(&k, &v);
      } else {
        trie->erase(&k);
      }
    }
    stop = true;
  });
  run_threads(2, [&](int t) {
    std::mt19937 rng(static_cast<uint32_t>(t));
    while (!stop) {
      Key probe{32, {10, static_cast<uint8_t>(rng()), static_cast<uint8_t>(rng()), 1}};
      uint64_t v;
      if (trie->lookup(&probe, &v) != 0) {
        misses.fetch_add(1);
      }
    }
  });
  writer.join();
  EXPECT_EQ(misses.load(), 0);
}

}  // namespace
}  // namespace bpfrt
