// The skeleton-style API on the main job's example object, and the map comparison `bpfrt diff` uses.
#include "bpfrt/skeleton.hpp"

#include <gtest/gtest.h>

#include "bpfrt/kernel_object.hpp"

namespace bpfrt {
namespace {

const std::vector<uint8_t> kUdp53 = {0, 0,  0,  0, 0, 0,  2, 0, 0, 0,  0, 1, 0x08, 0x00, 0x45, 0, 0,  28, 0, 1, 0,
                                     0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,    0x04, 0xd2, 0, 53, 0,  8, 0, 0};

struct Counter {
  uint64_t packets;
  uint64_t bytes;
};

TEST(Skeleton, SetsRodataBeforeLoadRunsAndReadsMaps) {
  auto skel = Skeleton::open(BPFRT_EXAMPLE_OBJ);
  if (!skel && skel.error().code == ErrorCode::kIo) {
    GTEST_SKIP() << "the example object was not built: " << skel.error().message;
  }
  ASSERT_TRUE(skel.ok()) << skel.error().message;
  TestRunInput in;
  in.data_in = kUdp53;
  EXPECT_FALSE(skel->run("xdp_count", in).ok());  // not loaded yet
  ASSERT_TRUE(skel->set_global<uint16_t>("blocked_udp_port", 53).ok());
  EXPECT_FALSE(skel->set_global<uint32_t>("blocked_udp_port", 53).ok());  // wrong size
  ASSERT_TRUE(skel->load().ok());
  in.repeat = 4;
  auto out = skel->run("xdp_count", in);
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(out->retval, 1u);                         // XDP_DROP: port 53 is blocked
  auto jit = skel->run("xdp", in, EngineKind::kJit);  // by section name, in the JIT
  ASSERT_TRUE(jit.ok()) << jit.error().message;
  EXPECT_EQ(jit->retval, 1u);
  auto dropped = skel->global_as<uint64_t>("dropped");
  ASSERT_TRUE(dropped.ok()) << dropped.error().message;
  EXPECT_EQ(*dropped, 8u);
  auto counts = skel->map("counts");
  ASSERT_TRUE(counts.ok()) << counts.error().message;
  const uint32_t udp = 17;
  Counter c{};
  ASSERT_EQ((*counts)->lookup(&udp, &c), 0);
  EXPECT_EQ(c.packets, 8u);
  EXPECT_EQ(c.bytes, 8u * kUdp53.size());
  // .rodata is frozen after load; .bss is not.
  auto late = skel->set_global<uint16_t>("blocked_udp_port", 54);
  ASSERT_FALSE(late.ok());
  EXPECT_NE(late.error().message.find("read-only"), std::string::npos) << late.error().message;
  ASSERT_TRUE(skel->set_global<uint64_t>("dropped", 100).ok());
  EXPECT_EQ(*skel->global_as<uint64_t>("dropped"), 100u);
  auto missing = skel->map("nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("maps: counts"), std::string::npos) << missing.error().message;
  EXPECT_FALSE(skel->run("nope", in).ok());
}

TEST(Skeleton, LoadsIntoANamedRegistryAndRemovesItsObjects) {
  RegistryOptions ro;
  ro.name = "bpfrt-skeltest-" + std::to_string(getpid());
  auto rt = Runtime::open(ro);
  ASSERT_TRUE(rt.ok()) << rt.error().message;
  {
    auto skel = Skeleton::open(BPFRT_EXAMPLE_OBJ);
    if (!skel) {
      GTEST_SKIP() << skel.error().message;
    }
    ASSERT_TRUE(skel->load(**rt).ok());
    EXPECT_TRUE((*rt)->find(ObjectKind::kMap, "xdp_counter.counts").ok());
    EXPECT_TRUE((*rt)->find(ObjectKind::kProgram, "xdp_counter.xdp_count").ok());
    auto again = Skeleton::open(BPFRT_EXAMPLE_OBJ);
    ASSERT_TRUE(again.ok());
    auto clash = again->load(**rt);
    ASSERT_FALSE(clash.ok());
    EXPECT_NE(clash.error().message.find("already has a map named 'xdp_counter.counts'"), std::string::npos)
        << clash.error().message;
  }
  EXPECT_FALSE((*rt)->find(ObjectKind::kMap, "xdp_counter.counts").ok());
  EXPECT_FALSE((*rt)->find(ObjectKind::kProgram, "xdp_counter.xdp_count").ok());
  rt->reset();
  EXPECT_TRUE(Runtime::remove_registry(ro.name).ok());
}

TEST(MapContents, PerCpuValuesCompareAsAMultisetAndMissingKeysAreReported) {
  MapContents a, b;
  a.name = b.name = "m";
  a.type = b.type = MapType::kPercpuHash;
  const std::vector<uint8_t> k1 = {1, 0, 0, 0}, k2 = {2, 0, 0, 0}, zero = {0, 0}, one = {1, 0};
  a.entries[k1] = {zero, one};  // sorted: the run happened on CPU 1 here ...
  b.entries[k1] = {zero, one};  // ... and on CPU 0 there: the same multiset
  EXPECT_TRUE(compare_map_contents(a, "interp", b, "kernel").empty());
  b.entries[k2] = {zero, zero};
  b.entries[k1] = {one, one};
  const auto diffs = compare_map_contents(a, "interp", b, "kernel");
  ASSERT_EQ(diffs.size(), 2u);
  EXPECT_NE(diffs[0].find("key 01 00 00 00: interp has per-CPU {00 00, 01 00}, kernel has per-CPU {01 00, 01 00}"),
            std::string::npos)
      << diffs[0];
  EXPECT_NE(diffs[1].find("interp has no such key"), std::string::npos) << diffs[1];
  MapContents q1, q2;
  q1.items = {{1}, {2}};
  q2.items = {{1}};
  EXPECT_FALSE(compare_map_contents(q1, "jit", q2, "kernel").empty());
  q1.not_compared = "prog array";
  EXPECT_TRUE(compare_map_contents(q1, "jit", q2, "kernel").empty());
}

TEST(MapContents, ReadsABpfrtPerCpuMapAsSortedPerCpuValues) {
  MapSpec spec;
  spec.type = MapType::kPercpuArray;
  spec.key_size = 4;
  spec.value_size = 4;
  spec.max_entries = 2;
  auto map = create_map(spec);
  ASSERT_TRUE(map.ok()) << map.error().message;
  std::vector<uint8_t> values((*map)->user_value_size(), 0);
  values[0] = 9;  // CPU 0's value of key 0
  const uint32_t key = 0;
  ASSERT_EQ((*map)->update(&key, values.data()), 0);
  const MapContents c = read_map_contents("pc", **map);
  ASSERT_EQ(c.entries.size(), 2u);
  const auto& v0 = c.entries.at({0, 0, 0, 0});
  ASSERT_EQ(v0.size(), possible_cpus());
  EXPECT_EQ(v0.back(), (std::vector<uint8_t>{9, 0, 0, 0}));  // sorted: the non-zero value last
}

}  // namespace
}  // namespace bpfrt
