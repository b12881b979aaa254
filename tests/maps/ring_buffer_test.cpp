// Ring buffers and perf event arrays: producer/consumer semantics, wrap-around, notification.
#include <cerrno>
#include <thread>

#include <gtest/gtest.h>
#include <poll.h>

#include "map_test_util.hpp"

namespace bpfrt {
namespace {

using test::must_create;
using test::spec_of;

TEST(RingBuffer, ReserveSubmitDiscardConsume) {
  auto rb = must_create(spec_of(MapType::kRingbuf, 0, 0, 4096));
  auto consumer = RingBufferConsumer::create(rb);
  ASSERT_TRUE(consumer.ok()) << consumer.error().message;
  auto* a = static_cast<uint8_t*>(ringbuf::reserve(*rb, 10, 0));
  auto* b = static_cast<uint8_t*>(ringbuf::reserve(*rb, 20, 0));
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(ringbuf::reserve(*rb, 8, 1), nullptr);  // flags must be 0
  std::memset(a, 'a', 10);
  std::memset(b, 'b', 20);
  // Records are delivered in reservation order: b waits for a.
  ASSERT_TRUE(ringbuf::commit(b, 0, false));
  std::vector<std::string> got;
  auto collect = [&](std::span<const uint8_t> rec) {
    got.emplace_back(rec.begin(), rec.end());
    return 0;
  };
  EXPECT_EQ((*consumer)->consume(collect), 0);
  ASSERT_TRUE(ringbuf::commit(a, 0, true));  // discarded: skipped
  EXPECT_EQ((*consumer)->consume(collect), 1);
  EXPECT_EQ(got, (std::vector<std::string>{std::string(20, 'b')}));
  EXPECT_FALSE(ringbuf::commit(a, 0, false));    // already committed
  EXPECT_EQ(ringbuf::query(*rb, 0), 0u);         // nothing left
  EXPECT_EQ(ringbuf::query(*rb, 1), 4096u);      // size
  EXPECT_EQ(ringbuf::query(*rb, 3), 24u + 32u);  // producer position: two 8-byte headers + data
  EXPECT_EQ(ringbuf::query(*rb, 2), ringbuf::query(*rb, 3));
}

TEST(RingBuffer, WrapsContiguouslyAndRefusesWhenFull) {
  auto rb = must_create(spec_of(MapType::kRingbuf, 0, 0, 4096));
  auto consumer = RingBufferConsumer::create(rb);
  ASSERT_TRUE(consumer.ok());
  // Fill and drain repeatedly with odd-sized records so reservations straddle the end.
  for (int round = 0; round < 50; ++round) {
    std::vector<uint8_t> data(1000 + round, static_cast<uint8_t>(round));
    ASSERT_EQ(ringbuf::output(*rb, data.data(), data.size(), 0), 0) << round;
    int seen = 0;
    (*consumer)->consume([&](std::span<const uint8_t> rec) {
      EXPECT_EQ(rec.size(), data.size());
      EXPECT_TRUE(std::all_of(rec.begin(), rec.end(), [&](uint8_t c) { return c == round; }));
      ++seen;
      return 0;
    });
    EXPECT_EQ(seen, 1);
  }
  // Without a consumer the ring fills: reserve fails, output says -EAGAIN.
  std::vector<uint8_t> chunk(1000);
  int accepted = 0;
  while (ringbuf::output(*rb, chunk.data(), chunk.size(), 0) == 0) {
    ++accepted;
  }
  EXPECT_EQ(accepted, 4);  // 4 x 1008 < 4096 - 8
  EXPECT_EQ(ringbuf::output(*rb, chunk.data(), chunk.size(), 0), -EAGAIN);
  EXPECT_EQ(ringbuf::output(*rb, chunk.data(), 1, 4), -EINVAL);
  EXPECT_EQ(ringbuf::reserve(*rb, 5000, 0), nullptr);
}

TEST(RingBuffer, PollWakesOnSubmitFromAnotherThread) {
  auto rb = must_create(spec_of(MapType::kRingbuf, 0, 0, 8192));
  auto consumer = RingBufferConsumer::create(rb);
  ASSERT_TRUE(consumer.ok());
  std::thread producer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const uint64_t v = 42;
    ringbuf::output(*rb, &v, sizeof(v), 0);
  });
  uint64_t got = 0;
  auto n = (*consumer)->poll(5000, [&](std::span<const uint8_t> rec) {
    std::memcpy(&got, rec.data(), 8);
    return 0;
  });
  producer.join();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1);
  EXPECT_EQ(got, 42u);
  // The fd is epoll-able: readable after a forced wake-up.
  const uint64_t v = 1;
  ringbuf::output(*rb, &v, 8, 2 /* BPF_RB_FORCE_WAKEUP */);
  pollfd p{(*consumer)->fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 1000), 1);
  EXPECT_EQ((*consumer)->consume([](std::span<const uint8_t>) { return 0; }), 1);
  // Timeout with nothing to read.
  auto none = (*consumer)->poll(10, [](std::span<const uint8_t>) { return 0; });
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0);
}

TEST(RingBuffer, ExportImportKeepsUnreadRecords) {
  auto rb = must_create(spec_of(MapType::kRingbuf, 0, 0, 4096));
  for (uint32_t i = 0; i < 3; ++i) {
    ASSERT_EQ(ringbuf::output(*rb, &i, 4, 0), 0);
  }
  auto items = rb->export_items();
  ASSERT_EQ(items.size(), 3u);
  auto copy = must_create(spec_of(MapType::kRingbuf, 0, 0, 4096));
  ASSERT_EQ(copy->import_items(items), 0);
  EXPECT_EQ(copy->export_items(), items);
  uint32_t key = 0;
  EXPECT_EQ(rb->lookup(nullptr, &key), -kENOTSUPP);
  EXPECT_EQ(rb->update(nullptr, &key), -kENOTSUPP);
}

TEST(PerfEventArray, OutputToOpenSlotsOnly) {
  MapSpec spec = spec_of(MapType::kPerfEventArray, 4, 4, std::max(2u, possible_cpus()));
  spec.map_extra = 4096;
  auto map = must_create(spec);
  const uint64_t v = 7;
  EXPECT_EQ(perfbuf::output(*map, 0, &v, 8), -ENOENT);  // no consumer, no perf event
  auto consumer = PerfBufferConsumer::create(map);
  ASSERT_TRUE(consumer.ok());
  EXPECT_EQ(perfbuf::output(*map, 0, &v, 8), 0);
  EXPECT_EQ(perfbuf::output(*map, 1, &v, 8), 0);
  EXPECT_EQ(perfbuf::output(*map, spec.max_entries, &v, 8), -E2BIG);
  EXPECT_EQ(perfbuf::output(*map, uint64_t{1} << 32, &v, 8), -EINVAL);
  std::vector<uint32_t> cpus;
  EXPECT_EQ((*consumer)->consume([&](uint32_t cpu, std::span<const uint8_t> data) {
    cpus.push_back(cpu);
    EXPECT_EQ(data.size(), 8u);
  }),
            2);
  EXPECT_EQ(cpus, (std::vector<uint32_t>{0, 1}));
  // A full buffer loses samples and says so.
  std::vector<uint8_t> big(1000);
  int written = 0;
  while (perfbuf::output(*map, 0, big.data(), big.size()) == 0) {
    ++written;
  }
  EXPECT_EQ(written, 4);
  uint64_t lost_total = 0;
  int samples = (*consumer)->consume([](uint32_t, std::span<const uint8_t>) {},
                                     [&](uint32_t, uint64_t lost) { lost_total += lost; });
  EXPECT_EQ(samples, 4);
  EXPECT_EQ(lost_total, 1u);
  // The current CPU's slot, and wrap-around across many rounds.
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(perfbuf::output(*map, 0xffffffffULL, big.data(), 700 + i), 0);
    int n = (*consumer)->consume([&](uint32_t cpu, std::span<const uint8_t> data) {
      EXPECT_LT(cpu, spec.max_entries);
      EXPECT_EQ(data.size(), static_cast<size_t>(700 + i));
    });
    ASSERT_EQ(n, 1);
  }
}

}  // namespace
}  // namespace bpfrt
