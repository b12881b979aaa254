// Soundness of the scalar domain: every concrete result must lie in the abstract result, on random
// operand sets biased towards the boundaries where overflow and sign bugs hide.
#include "verifier/scalar.hpp"

#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "verifier/tnum.hpp"

namespace bpfrt::verifier {
namespace {

uint64_t interesting(std::mt19937_64& rng) {
  static const uint64_t kEdges[] = {0,
                                    1,
                                    2,
                                    7,
                                    8,
                                    255,
                                    256,
                                    0x7fff,
                                    0x8000,
                                    0xffff,
                                    0x7fffffff,
                                    0x80000000,
                                    0xffffffff,
                                    0x100000000,
                                    0x7fffffffffffffff,
                                    0x8000000000000000,
                                    ~uint64_t{0},
                                    ~uint64_t{1}};
  switch (rng() % 5) {
    case 0:
      return kEdges[rng() % std::size(kEdges)];
    case 1:
      return kEdges[rng() % std::size(kEdges)] + (rng() % 5) - 2;
    case 2:
      return rng() % 64;
    case 3:
      return static_cast<uint64_t>(-static_cast<int64_t>(rng() % 64));
    default:
      return rng();
  }
}

// The smallest Scalar holding every value in `values`.
Scalar join(const std::vector<uint64_t>& values) {
  uint64_t all_ones = ~uint64_t{0};
  uint64_t any_ones = 0;
  Scalar s;
  s.r64 = {INT64_MAX, INT64_MIN, UINT64_MAX, 0};
  s.r32 = {INT32_MAX, INT32_MIN, UINT32_MAX, 0};
  for (uint64_t v : values) {
    all_ones &= v;
    any_ones |= v;
    s.r64.umin = std::min(s.r64.umin, v);
    s.r64.umax = std::max(s.r64.umax, v);
    s.r64.smin = std::min(s.r64.smin, static_cast<int64_t>(v));
    s.r64.smax = std::max(s.r64.smax, static_cast<int64_t>(v));
    s.r32.umin = std::min(s.r32.umin, static_cast<uint32_t>(v));
    s.r32.umax = std::max(s.r32.umax, static_cast<uint32_t>(v));
    s.r32.smin = std::min(s.r32.smin, static_cast<int32_t>(v));
    s.r32.smax = std::max(s.r32.smax, static_cast<int32_t>(v));
  }
  s.bits = Tnum{all_ones, all_ones ^ any_ones};
  EXPECT_TRUE(s.sync());
  return s;
}

std::vector<uint64_t> sample_set(std::mt19937_64& rng) {
  std::vector<uint64_t> values;
  const size_t n = 1 + rng() % 4;
  const uint64_t base = interesting(rng);
  for (size_t i = 0; i < n; ++i) {
    // Clustered sets (base + small delta) give tight ranges, scattered sets loose ones.
    values.push_back(rng() % 2 == 0 ? base + rng() % 16 : interesting(rng));
  }
  return values;
}

uint64_t concrete(AluOp op, uint64_t a, uint64_t b, bool is32) {
  auto shift = [&](uint64_t x) { return is32 ? (x & 31) : (x & 63); };
  if (is32) {
    const auto x = static_cast<uint32_t>(a);
    const auto y = static_cast<uint32_t>(b);
    const auto sx = static_cast<int32_t>(x);
    const auto sy = static_cast<int32_t>(y);
    switch (op) {
      case AluOp::kAdd:
        return static_cast<uint32_t>(x + y);
      case AluOp::kSub:
        return static_cast<uint32_t>(x - y);
      case AluOp::kMul:
        return static_cast<uint32_t>(x * y);
      case AluOp::kDiv:
        return y == 0 ? 0 : x / y;
      case AluOp::kMod:
        return y == 0 ? x : x % y;
      case AluOp::kSdiv:
        return y == 0 ? 0 : sy == -1 ? static_cast<uint32_t>(0 - x) : static_cast<uint32_t>(sx / sy);
      case AluOp::kSmod:
        return y == 0 ? x : sy == -1 ? 0 : static_cast<uint32_t>(sx % sy);
      case AluOp::kOr:
        return x | y;
      case AluOp::kAnd:
        return x & y;
      case AluOp::kXor:
        return x ^ y;
      case AluOp::kLsh:
        return static_cast<uint32_t>(x << shift(y));
      case AluOp::kRsh:
        return x >> shift(y);
      case AluOp::kArsh:
        return static_cast<uint32_t>(sx >> shift(y));
      case AluOp::kMov:
        return y;
      case AluOp::kNeg:
        return static_cast<uint32_t>(0 - x);
    }
  }
  const auto sa = static_cast<int64_t>(a);
  const auto sb = static_cast<int64_t>(b);
  switch (op) {
    case AluOp::kAdd:
      return a + b;
    case AluOp::kSub:
      return a - b;
    case AluOp::kMul:
      return a * b;
    case AluOp::kDiv:
      return b == 0 ? 0 : a / b;
    case AluOp::kMod:
      return b == 0 ? a : a % b;
    case AluOp::kSdiv:
      return b == 0 ? 0 : sb == -1 ? 0 - a : static_cast<uint64_t>(sa / sb);
    case AluOp::kSmod:
      return b == 0 ? a : sb == -1 ? 0 : static_cast<uint64_t>(sa % sb);
    case AluOp::kOr:
      return a | b;
    case AluOp::kAnd:
      return a & b;
    case AluOp::kXor:
      return a ^ b;
    case AluOp::kLsh:
      return a << shift(b);
    case AluOp::kRsh:
      return a >> shift(b);
    case AluOp::kArsh:
      return static_cast<uint64_t>(sa >> shift(b));
    case AluOp::kMov:
      return b;
    case AluOp::kNeg:
      return 0 - a;
  }
  return 0;
}

bool holds(CmpOp op, uint64_t a, uint64_t b, bool is32) {
  if (is32) {
    a = static_cast<uint32_t>(a);
    b = static_cast<uint32_t>(b);
  }
  const auto sa = is32 ? int64_t{static_cast<int32_t>(a)} : static_cast<int64_t>(a);
  const auto sb = is32 ? int64_t{static_cast<int32_t>(b)} : static_cast<int64_t>(b);
  switch (op) {
    case CmpOp::kEq:
      return a == b;
    case CmpOp::kNe:
      return a != b;
    case CmpOp::kSet:
      return (a & b) != 0;
    case CmpOp::kNset:
      return (a & b) == 0;
    case CmpOp::kGt:
      return a > b;
    case CmpOp::kGe:
      return a >= b;
    case CmpOp::kLt:
      return a < b;
    case CmpOp::kLe:
      return a <= b;
    case CmpOp::kSgt:
      return sa > sb;
    case CmpOp::kSge:
      return sa >= sb;
    case CmpOp::kSlt:
      return sa < sb;
    case CmpOp::kSle:
      return sa <= sb;
  }
  return false;
}

TEST(Tnum, RangeAndContains) {
  const Tnum t = Tnum::range(16, 31);
  EXPECT_EQ(t.value, 16u);
  EXPECT_EQ(t.mask, 15u);
  EXPECT_TRUE(t.contains(20));
  EXPECT_FALSE(t.contains(32));
  EXPECT_TRUE(Tnum::range(0, ~uint64_t{0}).is_unknown());
  EXPECT_TRUE(Tnum::unknown().includes(Tnum::constant(5)));
  EXPECT_FALSE(Tnum::constant(5).includes(Tnum::unknown()));
}

// Exhaustive on 4-bit tnums embedded in 64 bits: every concrete combination lands in the result.
TEST(Tnum, OperationsAreSoundExhaustively) {
  std::vector<Tnum> tnums;
  for (uint64_t mask = 0; mask < 16; ++mask) {
    for (uint64_t value = 0; value < 16; ++value) {
      if ((value & mask) == 0) {
        tnums.push_back(Tnum{value, mask});
      }
    }
  }
  auto members = [](Tnum t) {
    std::vector<uint64_t> out;
    for (uint64_t v = 0; v < 16; ++v) {
      if (t.contains(v)) {
        out.push_back(v);
      }
    }
    return out;
  };
  for (Tnum a : tnums) {
    for (Tnum b : tnums) {
      const Tnum add = tnum_add(a, b);
      const Tnum sub = tnum_sub(a, b);
      const Tnum mul = tnum_mul(a, b);
      const Tnum band = tnum_and(a, b);
      const Tnum bor = tnum_or(a, b);
      const Tnum bxor = tnum_xor(a, b);
      for (uint64_t x : members(a)) {
        for (uint64_t y : members(b)) {
          ASSERT_TRUE(add.contains(x + y));
          ASSERT_TRUE(sub.contains(x - y));
          ASSERT_TRUE(mul.contains(x * y));
          ASSERT_TRUE(band.contains(x & y));
          ASSERT_TRUE(bor.contains(x | y));
          ASSERT_TRUE(bxor.contains(x ^ y));
        }
      }
    }
  }
}

TEST(Scalar, ConstantsStayExact) {
  const Scalar five = Scalar::constant(5);
  const Scalar three = Scalar::constant(3);
  const Scalar sum = scalar_alu(AluOp::kAdd, five, three, false);
  ASSERT_TRUE(sum.is_const());
  EXPECT_EQ(sum.const_value(), 8u);
  const Scalar neg = scalar_alu(AluOp::kSub, three, five, true);
  ASSERT_TRUE(neg.is_const());
  EXPECT_EQ(neg.const_value(), 0xfffffffeu);
  EXPECT_EQ(scalar_alu(AluOp::kMod, Scalar::constant(17), five, false).const_value(), 2u);
  EXPECT_EQ(scalar_to_string(Scalar::constant(static_cast<uint64_t>(-1))), "-1");
}

TEST(Scalar, MaskingBoundsTheValue) {
  const Scalar masked = scalar_alu(AluOp::kAnd, Scalar::unknown(), Scalar::constant(0xff), false);
  EXPECT_EQ(masked.r64.umin, 0u);
  EXPECT_EQ(masked.r64.umax, 0xffu);
  EXPECT_EQ(masked.r64.smin, 0);
  EXPECT_EQ(scalar_to_string(masked), "scalar(smin=0,smax=255,umax=255,var_off=(0x0; 0xff))");
  const Scalar shifted = scalar_alu(AluOp::kLsh, masked, Scalar::constant(3), false);
  EXPECT_EQ(shifted.r64.umax, 0x7f8u);
  EXPECT_EQ(shifted.bits.mask, 0x7f8u);
}

TEST(Scalar, BranchRefinement) {
  Scalar x = Scalar::unknown();
  Scalar ten = Scalar::constant(10);
  ASSERT_TRUE(refine_compare(CmpOp::kLt, x, ten, false));
  EXPECT_EQ(x.r64.umax, 9u);
  EXPECT_EQ(x.r64.smin, 0);
  Scalar y = Scalar::constant(5);
  Scalar four = Scalar::constant(4);
  EXPECT_FALSE(refine_compare(CmpOp::kEq, y, four, false));
  Scalar z = Scalar::unknown();
  Scalar zero = Scalar::constant(0);
  ASSERT_TRUE(refine_compare(CmpOp::kSge, z, zero, true));
  EXPECT_EQ(z.r32.smin, 0);
  EXPECT_EQ(z.r32.umax, 0x7fffffffu);
}

TEST(Scalar, AluIsSoundOnRandomSets) {
  std::mt19937_64 rng(1234);
  const AluOp kOps[] = {AluOp::kAdd, AluOp::kSub,  AluOp::kMul,  AluOp::kDiv, AluOp::kSdiv,
                        AluOp::kMod, AluOp::kSmod, AluOp::kOr,   AluOp::kAnd, AluOp::kXor,
                        AluOp::kLsh, AluOp::kRsh,  AluOp::kArsh, AluOp::kMov, AluOp::kNeg};
  for (int iter = 0; iter < 60000; ++iter) {
    const auto va = sample_set(rng);
    auto vb = sample_set(rng);
    const AluOp op = kOps[rng() % std::size(kOps)];
    const bool is32 = rng() % 2 == 0;
    if (op == AluOp::kLsh || op == AluOp::kRsh || op == AluOp::kArsh) {
      for (auto& v : vb) {
        v %= is32 ? 32 : 64;  // larger amounts give unknown results; keep the bounded path busy
      }
    }
    const Scalar a = join(va);
    const Scalar b = join(vb);
    const Scalar r = scalar_alu(op, a, b, is32);
    for (uint64_t x : va) {
      for (uint64_t y : vb) {
        const uint64_t c = concrete(op, x, y, is32);
        ASSERT_TRUE(r.contains(c)) << "op " << static_cast<int>(op) << (is32 ? " (32)" : "") << " x=" << x << " y=" << y
                                   << " result " << c << " not in " << scalar_to_string(r);
      }
    }
  }
}

TEST(Scalar, RefinementIsSoundOnRandomSets) {
  std::mt19937_64 rng(99);
  const CmpOp kOps[] = {CmpOp::kEq, CmpOp::kNe, CmpOp::kSet, CmpOp::kNset, CmpOp::kGt,  CmpOp::kGe,
                        CmpOp::kLt, CmpOp::kLe, CmpOp::kSgt, CmpOp::kSge,  CmpOp::kSlt, CmpOp::kSle};
  for (int iter = 0; iter < 60000; ++iter) {
    auto va = sample_set(rng);
    auto vb = sample_set(rng);
    if (rng() % 3 == 0) {
      vb.resize(1);  // comparisons with a constant are the common case
    }
    const CmpOp op = kOps[rng() % std::size(kOps)];
    const bool is32 = rng() % 2 == 0;
    Scalar a = join(va);
    Scalar b = join(vb);
    const bool feasible = refine_compare(op, a, b, is32);
    for (uint64_t x : va) {
      for (uint64_t y : vb) {
        if (!holds(op, x, y, is32)) {
          continue;
        }
        ASSERT_TRUE(feasible) << "op " << static_cast<int>(op) << " x=" << x << " y=" << y;
        ASSERT_TRUE(a.contains(x)) << "op " << static_cast<int>(op) << (is32 ? " (32)" : "") << " x=" << x << " y=" << y
                                   << " lost x: " << scalar_to_string(a);
        ASSERT_TRUE(b.contains(y)) << "op " << static_cast<int>(op) << " x=" << x << " y=" << y
                                   << " lost y: " << scalar_to_string(b);
      }
    }
  }
}

TEST(Scalar, ExtensionsAreSound) {
  std::mt19937_64 rng(7);
  for (int iter = 0; iter < 20000; ++iter) {
    const auto va = sample_set(rng);
    const Scalar a = join(va);
    for (unsigned bytes : {1u, 2u, 4u, 8u}) {
      const Scalar sx = scalar_sign_extend(a, bytes);
      const Scalar sx32 = scalar_sign_extend_32(a, bytes < 4 ? bytes : 2);
      const Scalar tr = scalar_truncate(a, bytes);
      const Scalar sw = scalar_bswap(a, bytes < 2 ? 2 : bytes);
      for (uint64_t x : va) {
        const unsigned bits = bytes * 8;
        const uint64_t low = bits == 64 ? x : x & ((uint64_t{1} << bits) - 1);
        const uint64_t sext =
            bits == 64 ? x : static_cast<uint64_t>(static_cast<int64_t>(low << (64 - bits)) >> (64 - bits));
        ASSERT_TRUE(sx.contains(sext)) << x << " bytes " << bytes << " " << scalar_to_string(sx);
        ASSERT_TRUE(tr.contains(low));
        const unsigned b32 = bytes < 4 ? bytes : 2;
        const uint64_t low32 = x & ((uint64_t{1} << (b32 * 8)) - 1);
        const uint64_t sext32 = static_cast<uint32_t>(static_cast<int64_t>(low32 << (64 - b32 * 8)) >> (64 - b32 * 8));
        ASSERT_TRUE(sx32.contains(sext32));
        const unsigned sb = bytes < 2 ? 2 : bytes;
        const uint64_t swapped = sb == 2   ? __builtin_bswap16(static_cast<uint16_t>(x))
                                 : sb == 4 ? __builtin_bswap32(static_cast<uint32_t>(x))
                                           : __builtin_bswap64(x);
        ASSERT_TRUE(sw.contains(swapped));
      }
    }
  }
}

}  // namespace
}  // namespace bpfrt::verifier
