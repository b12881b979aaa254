// What the verifier knows about a 64-bit scalar: its bits (a Tnum), its signed and unsigned range, and
// the signed and unsigned range of its low 32 bits, kept consistent with each other as the kernel does.
//
// Soundness contract: if every concrete value x of the operands lies in their Scalars, then the result of
// the concrete operation lies in the Scalar the transfer function returns. Branch refinement returns
// false when the branch cannot be taken. tests/verifier/scalar_test.cpp checks both on random samples.
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <limits>
#include <string>

#include "verifier/tnum.hpp"

namespace bpfrt::verifier {

// A signed and an unsigned interval over one width (U = uint64_t/uint32_t, S its signed twin).
template <class U, class S>
struct Interval {
  S smin = std::numeric_limits<S>::min();
  S smax = std::numeric_limits<S>::max();
  U umin = 0;
  U umax = std::numeric_limits<U>::max();

  static constexpr Interval unbounded() { return Interval{}; }
  static constexpr Interval constant(U v) { return Interval{static_cast<S>(v), static_cast<S>(v), v, v}; }
  bool is_unbounded() const { return *this == unbounded(); }
  bool empty() const { return smin > smax || umin > umax; }
  bool contains(U v) const { return v >= umin && v <= umax && static_cast<S>(v) >= smin && static_cast<S>(v) <= smax; }
  friend bool operator==(const Interval&, const Interval&) = default;
};

using Interval64 = Interval<uint64_t, int64_t>;
using Interval32 = Interval<uint32_t, int32_t>;

struct Scalar {
  Tnum bits = Tnum::unknown();
  Interval64 r64;
  Interval32 r32;

  static Scalar unknown() { return Scalar{}; }
  static Scalar constant(uint64_t v);
  // Any value of the given width, zero-extended (a `bytes`-byte load).
  static Scalar zero_extended(unsigned bytes);
  // Any value of the given width, sign-extended to 64 bits.
  static Scalar sign_extended(unsigned bytes);
  // [lo, hi] as unsigned 64-bit values.
  static Scalar unsigned_range(uint64_t lo, uint64_t hi);

  bool is_const() const { return bits.is_const(); }
  uint64_t const_value() const { return bits.value; }
  bool is_unknown() const { return bits.is_unknown() && r64.is_unbounded() && r32.is_unbounded(); }
  bool contains(uint64_t v) const;
  // True if every value of `other` is also a value of this.
  bool includes(const Scalar& other) const;

  // Tightens every component from the others; returns false if no value satisfies them all.
  [[nodiscard]] bool sync();
  // Replaces the 64-bit state by the zero-extension of the low 32 bits (after a 32-bit operation).
  void zero_extend_32();

  friend bool operator==(const Scalar&, const Scalar&) = default;
};

// Arithmetic and logic on scalars, as the instruction with the same name.
enum class AluOp : uint8_t {
  kAdd,
  kSub,
  kMul,
  kDiv,
  kSdiv,
  kMod,
  kSmod,
  kOr,
  kAnd,
  kXor,
  kLsh,
  kRsh,
  kArsh,
  kMov,
  kNeg
};

// dst = dst OP src on all 64 bits, or (is32) on the low 32 bits with the result zero-extended.
Scalar scalar_alu(AluOp op, const Scalar& dst, const Scalar& src, bool is32);

// Conditional-jump comparisons.
// kNset (a & b == 0) is the other branch of kSet; no instruction encodes it.
enum class CmpOp : uint8_t { kEq, kNe, kSet, kNset, kGt, kGe, kLt, kLe, kSgt, kSge, kSlt, kSle };

CmpOp negate(CmpOp op);  // the condition of the other branch
CmpOp swap(CmpOp op);    // a OP b  <=>  b swap(OP) a

// Narrows a and b to the values for which `a OP b` holds (comparing the low 32 bits if is32).
// Returns false if no pair of values satisfies it.
[[nodiscard]] bool refine_compare(CmpOp op, Scalar& a, Scalar& b, bool is32);

// The scalar a byte-swap or truncation leaves: kLe* truncates, kBe*/bswap swap then truncate.
Scalar scalar_truncate(const Scalar& a, unsigned bytes);
Scalar scalar_bswap(const Scalar& a, unsigned bytes);
// Sign-extension of the low `bytes` bytes to 64 bits (movsx, ldxs), and to 32 bits zero-extended.
Scalar scalar_sign_extend(const Scalar& a, unsigned bytes);
Scalar scalar_sign_extend_32(const Scalar& a, unsigned bytes);

// Kernel-log text: "5", "scalar()", "scalar(umax=255,var_off=(0x0; 0xff))".
std::string scalar_to_string(const Scalar& s);
// Only the bounds that say something, comma separated (no "scalar(" wrapper).
std::string scalar_bounds_text(const Scalar& s);

}  // namespace bpfrt::verifier
