// Arrays: plain, per-CPU, prog arrays and arrays of maps.
#include <cerrno>

#include <gtest/gtest.h>

#include "map_test_util.hpp"

namespace bpfrt {
namespace {

using test::must_create;
using test::spec_of;

TEST(ArrayMap, ElementsAlwaysExist) {
  auto map = must_create(spec_of(MapType::kArray, 4, 12, 4));
  uint32_t k = 2;
  uint8_t zero[12] = {}, out[12];
  ASSERT_EQ(map->lookup(&k, out), 0);
  EXPECT_EQ(std::memcmp(out, zero, 12), 0);
  uint8_t v[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  EXPECT_EQ(map->update(&k, v, kBpfNoexist), -EEXIST);
  EXPECT_EQ(map->update(&k, v, kBpfExist), 0);
  ASSERT_EQ(map->lookup(&k, out), 0);
  EXPECT_EQ(std::memcmp(out, v, 12), 0);
  EXPECT_EQ(map->erase(&k), -EINVAL);
  uint32_t outside = 4;
  EXPECT_EQ(map->lookup(&outside, out), -ENOENT);
  EXPECT_EQ(map->update(&outside, v), -E2BIG);
  EXPECT_EQ(map->lookup_and_delete(&k, out), -kENOTSUPP);
  // get_next_key: index order; past the end -ENOENT; unknown keys restart at 0.
  uint32_t next = 99;
  ASSERT_EQ(map->get_next_key(nullptr, &next), 0);
  EXPECT_EQ(next, 0u);
  uint32_t last = 3;
  EXPECT_EQ(map->get_next_key(&last, &next), -ENOENT);
  ASSERT_EQ(map->get_next_key(&outside, &next), 0);
  EXPECT_EQ(next, 0u);
}

TEST(ArrayMap, DirectValueAccessOnlyForSingleElementArrays) {
  auto single = must_create(spec_of(MapType::kArray, 4, 16, 1));
  auto addr = single->direct_value_address(8);
  ASSERT_TRUE(addr.ok()) << addr.error().message;
  uint32_t zero = 0;
  EXPECT_EQ(reinterpret_cast<uint64_t>(single->prog_lookup(&zero)) + 8, *addr);
  EXPECT_FALSE(single->direct_value_address(16).ok());
  EXPECT_FALSE(must_create(spec_of(MapType::kArray, 4, 16, 2))->direct_value_address(0).ok());
}

TEST(ArrayMap, PercpuArray) {
  auto map = must_create(spec_of(MapType::kPercpuArray, 4, 4, 2));
  const uint32_t n = possible_cpus();
  std::vector<uint8_t> values(8 * n, 0);
  for (uint32_t cpu = 0; cpu < n; ++cpu) {
    values[8 * cpu] = static_cast<uint8_t>(cpu + 1);
  }
  uint32_t k = 1;
  ASSERT_EQ(map->update(&k, values.data()), 0);
  std::vector<uint8_t> out(8 * n);
  ASSERT_EQ(map->lookup(&k, out.data()), 0);
  EXPECT_EQ(out, values);
  auto* mine = static_cast<uint8_t*>(map->prog_lookup(&k));
  ASSERT_NE(mine, nullptr);
  EXPECT_EQ(*mine, current_cpu() + 1);
}

TEST(ArrayMap, ForEachPassesIndexKeysFromReadOnlyMemory) {
  auto map = must_create(spec_of(MapType::kArray, 4, 8, 5));
  std::vector<uint32_t> keys;
  EXPECT_EQ(map->for_each([&](const MapElement& e) {
    uint32_t k;
    std::memcpy(&k, e.key, 4);
    keys.push_back(k);
    bool in_readonly_region = false;
    for (const MemoryRegion& r : map->regions()) {
      const auto a = reinterpret_cast<uint64_t>(e.key);
      in_readonly_region |= !r.writable && a >= r.start && a + 4 <= r.start + r.size;
    }
    EXPECT_TRUE(in_readonly_region);
    return 0L;
  }),
            5);
  EXPECT_EQ(keys, (std::vector<uint32_t>{0, 1, 2, 3, 4}));
}

TEST(ArrayMap, ProgArrayHoldsProgramsOfOneType) {
  test::TableHost host;
  const uint32_t a = host.add_program(1);
  const uint32_t b = host.add_program(6);
  auto map = must_create(spec_of(MapType::kProgArray, 4, 4, 4), {}, &host);
  uint32_t k = 0;
  uint32_t out = 0;
  EXPECT_EQ(map->lookup(&k, &out), -ENOENT);
  EXPECT_EQ(map->update(&k, &a, kBpfNoexist), -EINVAL);  // only BPF_ANY
  ASSERT_EQ(map->update(&k, &a), 0);
  EXPECT_EQ(map->handle_at(0), a);
  ASSERT_EQ(map->lookup(&k, &out), 0);
  EXPECT_EQ(out, a);
  uint32_t k1 = 1;
  EXPECT_EQ(map->update(&k1, &b), -EINVAL);  // another program type
  uint32_t bogus = 777;
  EXPECT_EQ(map->update(&k1, &bogus), -EBADF);
  EXPECT_EQ(map->prog_lookup(&k), nullptr);
  EXPECT_EQ(map->erase(&k), 0);
  EXPECT_EQ(map->erase(&k), -ENOENT);
  EXPECT_EQ(map->handle_at(0), 0u);
}

TEST(ArrayMap, ArrayOfMaps) {
  test::TableHost host;
  MapSpec inner = spec_of(MapType::kHash, 4, 4, 8);
  const uint32_t h = host.add_map(must_create(inner));
  MapSpec spec = spec_of(MapType::kArrayOfMaps, 4, 4, 2);
  spec.inner = std::make_shared<MapSpec>(inner);
  auto outer = must_create(spec, {}, &host);
  uint32_t k = 1;
  EXPECT_EQ(outer->prog_lookup(&k), nullptr);
  ASSERT_EQ(outer->update(&k, &h), 0);
  Map* inner_map = Map::from_program_handle(reinterpret_cast<uint64_t>(outer->prog_lookup(&k)));
  ASSERT_EQ(inner_map, host.map_by_handle(h));
  EXPECT_EQ(outer->for_each([](const MapElement&) { return 0L; }), -EINVAL);
  // Templates that cannot be inner maps are refused like the kernel refuses them.
  MapSpec nested = spec_of(MapType::kArrayOfMaps, 4, 4, 2);
  nested.inner = std::make_shared<MapSpec>(spec);
  EXPECT_EQ(check_map_spec(nested), -EINVAL);
}

}  // namespace
}  // namespace bpfrt
