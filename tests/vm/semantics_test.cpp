#include "vm/semantics.hpp"

#include <cstdint>

#include <gtest/gtest.h>

namespace bpfrt::sem {
namespace {

TEST(Semantics, DivisionAndModuloByZero) {
  EXPECT_EQ(div64(7, 0), 0u);
  EXPECT_EQ(mod64(7, 0), 7u);
  EXPECT_EQ(div32(7, 0), 0u);
  EXPECT_EQ(mod32(7, 0), 7u);
  EXPECT_EQ(sdiv64(static_cast<uint64_t>(-7), 0), 0u);
  EXPECT_EQ(smod64(static_cast<uint64_t>(-7), 0), static_cast<uint64_t>(-7));
  EXPECT_EQ(sdiv32(static_cast<uint32_t>(-7), 0), 0u);
  EXPECT_EQ(smod32(static_cast<uint32_t>(-7), 0), static_cast<uint32_t>(-7));
}

TEST(Semantics, SignedOverflowWraps) {
  EXPECT_EQ(sdiv64(static_cast<uint64_t>(INT64_MIN), static_cast<uint64_t>(-1)), static_cast<uint64_t>(INT64_MIN));
  EXPECT_EQ(smod64(static_cast<uint64_t>(INT64_MIN), static_cast<uint64_t>(-1)), 0u);
  EXPECT_EQ(sdiv32(static_cast<uint32_t>(INT32_MIN), static_cast<uint32_t>(-1)), static_cast<uint32_t>(INT32_MIN));
  EXPECT_EQ(smod32(static_cast<uint32_t>(INT32_MIN), static_cast<uint32_t>(-1)), 0u);
}

TEST(Semantics, SignedDivisionTruncatesTowardZero) {
  EXPECT_EQ(sdiv64(static_cast<uint64_t>(-13), 3), static_cast<uint64_t>(-4));
  EXPECT_EQ(smod64(static_cast<uint64_t>(-13), 3), static_cast<uint64_t>(-1));
  EXPECT_EQ(smod64(13, static_cast<uint64_t>(-3)), 1u);
  EXPECT_EQ(smod32(static_cast<uint32_t>(-13), static_cast<uint32_t>(-3)), static_cast<uint32_t>(-1));
}

TEST(Semantics, ShiftCountsAreMasked) {
  EXPECT_EQ(lsh64(1, 64), 1u);
  EXPECT_EQ(lsh64(1, 65), 2u);
  EXPECT_EQ(lsh32(1, 32), 1u);
  EXPECT_EQ(rsh32(0x80000000u, 63), 1u);
  EXPECT_EQ(arsh64(0x8000000000000000ULL, 63), UINT64_MAX);
  EXPECT_EQ(arsh32(0x80000000u, 31), UINT32_MAX);
}

TEST(Semantics, ByteOrder) {
  EXPECT_EQ(to_le16(0x1122334455667788ULL), 0x7788u);
  EXPECT_EQ(to_le32(0x1122334455667788ULL), 0x55667788u);
  EXPECT_EQ(swap16(0x1122334455667788ULL), 0x8877u);
  EXPECT_EQ(swap32(0x1122334455667788ULL), 0x88776655u);
  EXPECT_EQ(swap64(0x1122334455667788ULL), 0x8877665544332211ULL);
}

TEST(Semantics, SignExtension) {
  EXPECT_EQ(sext8(0x80), 0xffffffffffffff80ULL);
  EXPECT_EQ(sext16(0x7fff), 0x7fffu);
  EXPECT_EQ(sext32(0x80000000), 0xffffffff80000000ULL);
}

}  // namespace
}  // namespace bpfrt::sem
