// Queues, stacks, bloom filters, LPM tries (against a brute-force model) and stack trace maps.
#include <cerrno>
#include <map>
#include <random>

#include <gtest/gtest.h>

#include "map_test_util.hpp"

namespace bpfrt {
namespace {

using test::must_create;
using test::spec_of;

TEST(QueueMap, FifoWithEvictionOnExist) {
  auto q = must_create(spec_of(MapType::kQueue, 0, 4, 3));
  uint32_t out = 0;
  EXPECT_EQ(q->pop(&out), -ENOENT);
  for (uint32_t v = 1; v <= 3; ++v) {
    ASSERT_EQ(q->push(&v, kBpfAny), 0);
  }
  uint32_t v = 4;
  EXPECT_EQ(q->push(&v, kBpfAny), -E2BIG);
  EXPECT_EQ(q->push(&v, kBpfNoexist), -EINVAL);
  EXPECT_EQ(q->push(&v, kBpfExist), 0);  // drops 1
  ASSERT_EQ(q->peek(&out), 0);
  EXPECT_EQ(out, 2u);
  std::vector<uint32_t> popped;
  while (q->pop(&out) == 0) {
    popped.push_back(out);
  }
  EXPECT_EQ(popped, (std::vector<uint32_t>{2, 3, 4}));
  // The syscall forms: update pushes, lookup peeks, lookup_and_delete pops; keys must be null.
  ASSERT_EQ(q->update(nullptr, &v), 0);
  EXPECT_EQ(q->lookup(nullptr, &out), 0);
  EXPECT_EQ(q->lookup_and_delete(nullptr, &out), 0);
  EXPECT_EQ(out, 4u);
  EXPECT_EQ(q->erase(nullptr), -EINVAL);
  EXPECT_EQ(q->get_next_key(nullptr, &out), -EINVAL);
}

TEST(StackMap, LifoAndExportImport) {
  auto s = must_create(spec_of(MapType::kStack, 0, 8, 4));
  for (uint64_t v = 1; v <= 4; ++v) {
    ASSERT_EQ(s->push(&v, kBpfAny), 0);
  }
  uint64_t v = 5;
  ASSERT_EQ(s->push(&v, kBpfExist), 0);  // drops the oldest (1)
  auto items = s->export_items();
  ASSERT_EQ(items.size(), 4u);
  auto copy = must_create(spec_of(MapType::kStack, 0, 8, 4));
  ASSERT_EQ(copy->import_items(items), 0);
  for (uint64_t expect : {5u, 4u, 3u, 2u}) {
    uint64_t a = 0, b = 0;
    ASSERT_EQ(s->pop(&a), 0);
    ASSERT_EQ(copy->pop(&b), 0);
    EXPECT_EQ(a, expect);
    EXPECT_EQ(b, expect);
  }
  EXPECT_EQ(s->pop(&v), -ENOENT);
}

TEST(BloomFilter, NoFalseNegativesFewFalsePositives) {
  MapSpec spec = spec_of(MapType::kBloomFilter, 0, 8, 1000);
  spec.map_extra = 3;
  auto bloom = must_create(spec);
  for (uint64_t v = 0; v < 1000; ++v) {
    ASSERT_EQ(bloom->push(&v, kBpfAny), 0);
  }
  for (uint64_t v = 0; v < 1000; ++v) {
    ASSERT_EQ(bloom->peek(&v), 0) << v;
  }
  int false_positives = 0;
  for (uint64_t v = 1000000; v < 1010000; ++v) {
    false_positives += bloom->peek(&v) == 0 ? 1 : 0;
  }
  EXPECT_LT(false_positives, 1000);  // ~1-5% expected at this size
  uint64_t v = 1;
  EXPECT_EQ(bloom->push(&v, kBpfExist), -EINVAL);
  EXPECT_EQ(bloom->pop(&v), -EOPNOTSUPP);
  EXPECT_EQ(bloom->erase(nullptr), -EOPNOTSUPP);
  // The bits survive export and import exactly.
  auto copy = must_create(spec);
  ASSERT_EQ(copy->import_items(bloom->export_items()), 0);
  EXPECT_EQ(copy->export_items(), bloom->export_items());
}

// Longest-prefix match by brute force over what was inserted.
struct LpmModel {
  std::map<std::pair<uint32_t, uint32_t>, uint64_t> entries;  // (prefixlen, masked address) -> value
  static uint32_t mask(uint32_t addr, uint32_t plen) { return plen == 0 ? 0 : addr & (~0u << (32 - plen)); }
  const uint64_t* lookup(uint32_t addr) const {
    for (int plen = 32; plen >= 0; --plen) {
      auto it = entries.find({plen, mask(addr, static_cast<uint32_t>(plen))});
      if (it != entries.end()) {
        return &it->second;
      }
    }
    return nullptr;
  }
};

struct LpmKey {
  uint32_t prefixlen;
  uint8_t addr[4];
};

LpmKey lpm_key(uint32_t plen, uint32_t addr) {
  LpmKey k{plen,
           {static_cast<uint8_t>(addr >> 24), static_cast<uint8_t>(addr >> 16), static_cast<uint8_t>(addr >> 8),
            static_cast<uint8_t>(addr)}};
  return k;
}

TEST(LpmTrie, MatchesABruteForceModel) {
  auto trie = must_create(spec_of(MapType::kLpmTrie, 8, 8, 200, 1));
  LpmModel model;
  std::mt19937 rng(7);
  for (int step = 0; step < 5000; ++step) {
    const uint32_t plen = rng() % 33;
    const uint32_t addr = (rng() % 16) << 28 | (rng() % 4) << 20 | (rng() & 0xff);
    LpmKey key = lpm_key(plen, addr);
    const auto model_key = std::make_pair(plen, LpmModel::mask(addr, plen));
    const int op = static_cast<int>(rng() % 3);
    if (op == 0) {
      const uint64_t value = rng();
      const int rc = trie->update(&key, &value);
      if (model.entries.size() >= 200 && !model.entries.contains(model_key)) {
        EXPECT_EQ(rc, -ENOSPC);
      } else {
        ASSERT_EQ(rc, 0);
        model.entries[model_key] = value;
      }
    } else if (op == 1) {
      const int rc = trie->erase(&key);
      EXPECT_EQ(rc, model.entries.erase(model_key) == 1 ? 0 : -ENOENT) << "step " << step;
    } else {
      LpmKey probe = lpm_key(32, addr);
      uint64_t got = 0;
      const uint64_t* want = model.lookup(addr);
      const int rc = trie->lookup(&probe, &got);
      ASSERT_EQ(rc, want != nullptr ? 0 : -ENOENT) << "step " << step;
      if (want != nullptr) {
        EXPECT_EQ(got, *want);
      }
      auto* p = static_cast<uint64_t*>(trie->prog_lookup(&probe));
      EXPECT_EQ(p != nullptr, want != nullptr);
    }
  }
  // Iteration visits every entry once.
  size_t count = 0;
  LpmKey k{}, next{};
  bool first = true;
  while (trie->get_next_key(first ? nullptr : &k, &next) == 0) {
    ++count;
    k = next;
    first = false;
    ASSERT_LE(count, model.entries.size());
  }
  EXPECT_EQ(count, model.entries.size());
}

TEST(LpmTrie, RefusesBadKeysAndFlags) {
  auto trie = must_create(spec_of(MapType::kLpmTrie, 8, 8, 4, 1));
  LpmKey k = lpm_key(33, 0);
  uint64_t v = 1;
  EXPECT_EQ(trie->update(&k, &v), -EINVAL);
  k = lpm_key(8, 0x0a000000);
  EXPECT_EQ(trie->update(&k, &v, 3), -EINVAL);
  EXPECT_EQ(trie->update(&k, &v, kBpfExist), -ENOENT);
  ASSERT_EQ(trie->update(&k, &v, kBpfNoexist), 0);
  EXPECT_EQ(trie->update(&k, &v, kBpfNoexist), -EEXIST);
  EXPECT_EQ(check_map_spec(spec_of(MapType::kLpmTrie, 8, 8, 4, 0)), -EINVAL);  // needs NO_PREALLOC
}

TEST(StackTraceMap, StoresAndDeduplicatesStacks) {
  auto map = must_create(spec_of(MapType::kStackTrace, 4, 8 * 4, 16));
  const std::vector<uint64_t> a = {0x1000, 0x2000, 0x3000};
  const long id = stackmap::store(*map, a, 0);
  ASSERT_GE(id, 0);
  EXPECT_EQ(stackmap::store(*map, a, 0), id);
  uint64_t out[4] = {9, 9, 9, 9};
  uint32_t key = static_cast<uint32_t>(id);
  ASSERT_EQ(map->lookup(&key, out), 0);
  EXPECT_EQ(out[0], 0x1000u);
  EXPECT_EQ(out[2], 0x3000u);
  EXPECT_EQ(out[3], 0u);  // zero-filled past the stack
  EXPECT_EQ(stackmap::store(*map, {}, 0), -EFAULT);
  EXPECT_EQ(stackmap::store(*map, a, 1u << 20), -EINVAL);
  auto copy = must_create(spec_of(MapType::kStackTrace, 4, 8 * 4, 16));
  ASSERT_EQ(copy->import_items(map->export_items()), 0);
  ASSERT_EQ(copy->lookup(&key, out), 0);
  EXPECT_EQ(out[1], 0x2000u);
  EXPECT_EQ(map->erase(&key), 0);
  EXPECT_EQ(map->erase(&key), -ENOENT);
  EXPECT_EQ(map->update(&key, out), -EINVAL);
}

}  // namespace
}  // namespace bpfrt
