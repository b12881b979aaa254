#include <gtest/gtest.h>

#include "map_test_util.hpp"

namespace bpfrt {
namespace {

TEST(HashMap, Smoke) {
  auto map = test::must_create(test::spec_of(MapType::kHash, 4, 8, 4));
  uint32_t k = 1;
  uint64_t v = 7, out = 0;
  EXPECT_EQ(map->update(&k, &v, kBpfAny), 0);
  EXPECT_EQ(map->lookup(&k, &out, 0), 0);
  EXPECT_EQ(out, 7u);
}

}  // namespace
}  // namespace bpfrt
