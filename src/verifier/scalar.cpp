// Scalar bounds: consistency between bits and ranges, ALU transfer functions and branch refinement.
//
// Every rule below only intersects (a min can only grow, a max only shrink) with a fact implied by the
// others, so an empty result after sync() means the combination is impossible.
#include "verifier/scalar.hpp"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

namespace bpfrt::verifier {
namespace {

constexpr uint64_t kLow32 = 0xffffffffULL;
constexpr uint64_t kHigh32 = ~kLow32;

template <class U, class S>
void intersect_signed(Interval<U, S>& r, S lo, S hi) {
  r.smin = std::max(r.smin, lo);
  r.smax = std::min(r.smax, hi);
}
template <class U, class S>
void intersect_unsigned(Interval<U, S>& r, U lo, U hi) {
  r.umin = std::max(r.umin, lo);
  r.umax = std::min(r.umax, hi);
}

// Within one width: a signed range that does not cross -1/0 bounds the unsigned one, and an unsigned
// range that does not cross the sign boundary bounds the signed one.
template <class U, class S>
void deduce_within(Interval<U, S>& r) {
  if (static_cast<S>(r.umin) <= static_cast<S>(r.umax)) {
    intersect_signed(r, static_cast<S>(r.umin), static_cast<S>(r.umax));
  }
  if (static_cast<U>(r.smin) <= static_cast<U>(r.smax)) {
    intersect_unsigned(r, static_cast<U>(r.smin), static_cast<U>(r.smax));
  }
}

// The bounds a Tnum implies for one width (`bits` 64 or 32).
template <class U, class S>
void bound_from_bits(Interval<U, S>& r, Tnum t) {
  constexpr U kSign = U{1} << (sizeof(U) * 8 - 1);
  const auto value = static_cast<U>(t.value);
  const auto mask = static_cast<U>(t.mask);
  intersect_unsigned(r, value, static_cast<U>(value | mask));
  intersect_signed(r, static_cast<S>(value | (mask & kSign)), static_cast<S>(value | (mask & ~kSign)));
}

void deduce_32_from_64(Scalar& s) {
  const Interval64& r = s.r64;
  if ((r.umin >> 32) == (r.umax >> 32)) {  // upper half fixed: the low half runs from umin to umax
    intersect_unsigned(s.r32, static_cast<uint32_t>(r.umin), static_cast<uint32_t>(r.umax));
    if (static_cast<int32_t>(r.umin) <= static_cast<int32_t>(r.umax)) {
      intersect_signed(s.r32, static_cast<int32_t>(r.umin), static_cast<int32_t>(r.umax));
    }
  }
  if ((r.smin >> 32) == (r.smax >> 32)) {
    if (static_cast<uint32_t>(r.smin) <= static_cast<uint32_t>(r.smax)) {
      intersect_unsigned(s.r32, static_cast<uint32_t>(r.smin), static_cast<uint32_t>(r.smax));
    }
    if (static_cast<int32_t>(r.smin) <= static_cast<int32_t>(r.smax)) {
      intersect_signed(s.r32, static_cast<int32_t>(r.smin), static_cast<int32_t>(r.smax));
    }
  }
  if (r.smin >= INT32_MIN && r.smax <= INT32_MAX) {  // the value is the sign extension of its low half
    intersect_signed(s.r32, static_cast<int32_t>(r.smin), static_cast<int32_t>(r.smax));
  }
}

void deduce_64_from_32(Scalar& s) {
  Interval64& r = s.r64;
  if ((r.umin >> 32) == (r.umax >> 32)) {
    const uint64_t high = r.umin & kHigh32;
    intersect_unsigned(r, high | s.r32.umin, high | s.r32.umax);
  }
  if ((r.smin >> 32) == (r.smax >> 32)) {
    const uint64_t high = static_cast<uint64_t>(r.smin) & kHigh32;
    intersect_signed(r, static_cast<int64_t>(high | s.r32.umin), static_cast<int64_t>(high | s.r32.umax));
  }
  if (r.smin >= INT32_MIN && r.smax <= INT32_MAX) {
    intersect_signed(r, int64_t{s.r32.smin}, int64_t{s.r32.smax});
  }
}

}  // namespace

Scalar Scalar::constant(uint64_t v) {
  return Scalar{Tnum::constant(v), Interval64::constant(v), Interval32::constant(static_cast<uint32_t>(v))};
}

Scalar Scalar::zero_extended(unsigned bytes) {
  if (bytes >= 8) {
    return unknown();
  }
  Scalar s;
  s.bits = Tnum{0, (uint64_t{1} << (bytes * 8)) - 1};
  (void)s.sync();  // always satisfiable
  return s;
}

Scalar Scalar::sign_extended(unsigned bytes) {
  if (bytes >= 8) {
    return unknown();
  }
  Scalar s;
  const int64_t half = int64_t{1} << (bytes * 8 - 1);
  s.r64.smin = -half;
  s.r64.smax = half - 1;
  (void)s.sync();
  return s;
}

Scalar Scalar::unsigned_range(uint64_t lo, uint64_t hi) {
  Scalar s;
  s.r64.umin = lo;
  s.r64.umax = hi;
  (void)s.sync();
  return s;
}

bool Scalar::contains(uint64_t v) const {
  return bits.contains(v) && r64.contains(v) && r32.contains(static_cast<uint32_t>(v));
}

bool Scalar::includes(const Scalar& o) const {
  return bits.includes(o.bits) && r64.umin <= o.r64.umin && r64.umax >= o.r64.umax && r64.smin <= o.r64.smin &&
         r64.smax >= o.r64.smax && r32.umin <= o.r32.umin && r32.umax >= o.r32.umax && r32.smin <= o.r32.smin &&
         r32.smax >= o.r32.smax;
}

bool Scalar::sync() {
  for (int round = 0; round < 4; ++round) {
    const Scalar before = *this;
    bound_from_bits(r64, bits);
    bound_from_bits(r32, tnum_subreg(bits));
    deduce_32_from_64(*this);
    deduce_within(r32);
    deduce_64_from_32(*this);
    deduce_within(r64);
    if (r64.empty() || r32.empty()) {
      return false;
    }
    const Tnum from_range = Tnum::range(r64.umin, r64.umax);
    if (!tnum_overlap(bits, from_range)) {
      return false;
    }
    bits = tnum_intersect(bits, from_range);
    const Tnum low = Tnum::range(r32.umin, r32.umax);
    if (!tnum_overlap(tnum_subreg(bits), low)) {
      return false;
    }
    bits = tnum_with_subreg(bits, tnum_intersect(tnum_subreg(bits), low));
    if (*this == before) {
      break;
    }
  }
  return !r64.empty() && !r32.empty();
}

void Scalar::zero_extend_32() {
  bits = tnum_subreg(bits);
  r64 = Interval64{static_cast<int64_t>(r32.umin), static_cast<int64_t>(r32.umax), r32.umin, r32.umax};
}

// ---- ALU transfer functions --------------------------------------------------------------------------

namespace {

template <class U, class S>
Interval<U, S> interval_add(const Interval<U, S>& a, const Interval<U, S>& b) {
  Interval<U, S> r;
  S smin;
  S smax;
  if (!__builtin_add_overflow(a.smin, b.smin, &smin) && !__builtin_add_overflow(a.smax, b.smax, &smax)) {
    r.smin = smin;
    r.smax = smax;
  }
  U umin;
  U umax;
  if (!__builtin_add_overflow(a.umin, b.umin, &umin) && !__builtin_add_overflow(a.umax, b.umax, &umax)) {
    r.umin = umin;
    r.umax = umax;
  }
  return r;
}

template <class U, class S>
Interval<U, S> interval_sub(const Interval<U, S>& a, const Interval<U, S>& b) {
  Interval<U, S> r;
  S smin;
  S smax;
  if (!__builtin_sub_overflow(a.smin, b.smax, &smin) && !__builtin_sub_overflow(a.smax, b.smin, &smax)) {
    r.smin = smin;
    r.smax = smax;
  }
  if (a.umin >= b.umax) {
    r.umin = static_cast<U>(a.umin - b.umax);
    r.umax = static_cast<U>(a.umax - b.umin);
  }
  return r;
}

template <class U, class S>
Interval<U, S> interval_mul(const Interval<U, S>& a, const Interval<U, S>& b) {
  Interval<U, S> r;
  U umax;
  if (!__builtin_mul_overflow(a.umax, b.umax, &umax)) {
    r.umin = static_cast<U>(a.umin * b.umin);
    r.umax = umax;
  }
  S products[4];
  bool overflow = false;
  int n = 0;
  for (S x : {a.smin, a.smax}) {
    for (S y : {b.smin, b.smax}) {
      overflow |= __builtin_mul_overflow(x, y, &products[n++]);
    }
  }
  if (!overflow) {
    r.smin = *std::min_element(products, products + 4);
    r.smax = *std::max_element(products, products + 4);
  }
  return r;
}

template <class U, class S>
Interval<U, S> interval_and(const Interval<U, S>& a, const Interval<U, S>& b) {
  Interval<U, S> r;
  r.umax = std::min(a.umax, b.umax);  // x & y <= min(x, y)
  if (a.smin >= 0 || b.smin >= 0) {   // a non-negative operand bounds the result to [0, it]
    r.smin = 0;
    r.smax = std::min(a.smin >= 0 ? a.smax : std::numeric_limits<S>::max(),
                      b.smin >= 0 ? b.smax : std::numeric_limits<S>::max());
  }
  return r;
}

template <class U, class S>
Interval<U, S> interval_or(const Interval<U, S>& a, const Interval<U, S>& b) {
  Interval<U, S> r;
  r.umin = std::max(a.umin, b.umin);  // x | y >= max(x, y)
  if (a.smin >= 0 && b.smin >= 0) {
    r.smin = std::max(a.smin, b.smin);
  }
  return r;
}

template <class U, class S>
Interval<U, S> interval_shift(AluOp op, const Interval<U, S>& a, unsigned k) {
  Interval<U, S> r;
  switch (op) {
    case AluOp::kLsh:
      if (a.umax <= (std::numeric_limits<U>::max() >> k)) {
        r.umin = static_cast<U>(a.umin << k);
        r.umax = static_cast<U>(a.umax << k);
      }
      break;
    case AluOp::kRsh:
      r.umin = static_cast<U>(a.umin >> k);
      r.umax = static_cast<U>(a.umax >> k);
      break;
    case AluOp::kArsh:
      r.smin = static_cast<S>(a.smin >> k);
      r.smax = static_cast<S>(a.smax >> k);
      break;
    default:
      break;
  }
  return r;
}

// Division and remainder, as RFC 9669 defines them for every operand (x/0 = 0, x%0 = x, INT_MIN/-1 wraps).
template <class U, class S>
U concrete_divmod(AluOp op, U a, U b) {
  const auto x = static_cast<S>(a);
  const auto y = static_cast<S>(b);
  switch (op) {
    case AluOp::kDiv:
      return b == 0 ? 0 : a / b;
    case AluOp::kMod:
      return b == 0 ? a : a % b;
    case AluOp::kSdiv:
      return y == 0 ? 0 : y == -1 ? static_cast<U>(U{0} - a) : static_cast<U>(x / y);
    case AluOp::kSmod:
      return y == 0 ? a : y == -1 ? 0 : static_cast<U>(x % y);
    default:
      return 0;
  }
}

// Unsigned division or remainder by a known non-zero constant keeps a range; anything else is unknown.
template <class U, class S>
Interval<U, S> interval_divmod(AluOp op, const Interval<U, S>& a, const Interval<U, S>& b) {
  Interval<U, S> r;
  if (b.umin != b.umax || b.umin == 0) {
    return r;
  }
  const U c = b.umin;
  if (op == AluOp::kDiv) {
    r.umin = static_cast<U>(a.umin / c);
    r.umax = static_cast<U>(a.umax / c);
  } else if (op == AluOp::kMod) {
    r.umin = 0;
    r.umax = std::min(static_cast<U>(c - 1), a.umax);
  }
  return r;
}

bool is_shift(AluOp op) {
  return op == AluOp::kLsh || op == AluOp::kRsh || op == AluOp::kArsh;
}

bool is_divmod(AluOp op) {
  return op == AluOp::kDiv || op == AluOp::kMod || op == AluOp::kSdiv || op == AluOp::kSmod;
}

// The operation on one width; `bits` are the operands' Tnums restricted to that width.
template <class U, class S>
struct WidthResult {
  Interval<U, S> range;
  Tnum bits;
};

template <class U, class S>
WidthResult<U, S> alu_width(AluOp op, const Interval<U, S>& a, const Interval<U, S>& b, Tnum ta, Tnum tb) {
  constexpr unsigned kBits = sizeof(U) * 8;
  switch (op) {
    case AluOp::kAdd:
      return {interval_add(a, b), tnum_add(ta, tb)};
    case AluOp::kSub:
      return {interval_sub(a, b), tnum_sub(ta, tb)};
    case AluOp::kNeg:
      return {interval_sub(Interval<U, S>::constant(0), a), tnum_sub(Tnum::constant(0), ta)};
    case AluOp::kMul:
      return {interval_mul(a, b), tnum_mul(ta, tb)};
    case AluOp::kAnd:
      return {interval_and(a, b), tnum_and(ta, tb)};
    case AluOp::kOr:
      return {interval_or(a, b), tnum_or(ta, tb)};
    case AluOp::kXor:
      return {Interval<U, S>{}, tnum_xor(ta, tb)};
    case AluOp::kMov:
      return {b, tb};
    case AluOp::kLsh:
    case AluOp::kRsh:
    case AluOp::kArsh: {
      const auto k = static_cast<unsigned>(b.umin);
      const Tnum t = op == AluOp::kLsh   ? tnum_lshift(ta, k)
                     : op == AluOp::kRsh ? tnum_rshift(ta, k)
                                         : tnum_arshift(ta, k, kBits);
      return {interval_shift(op, a, k), t};
    }
    default:
      return {interval_divmod(op, a, b), Tnum::unknown()};
  }
}

}  // namespace

Scalar scalar_alu(AluOp op, const Scalar& dst, const Scalar& src, bool is32) {
  const unsigned width = is32 ? 32 : 64;
  if (op == AluOp::kMov) {
    Scalar r = src;
    if (is32) {
      r.zero_extend_32();
      (void)r.sync();
    }
    return r;
  }
  // Shifts by an unknown amount, or by at least the operand width, give no bounds.
  if (is_shift(op)) {
    const bool known = is32 ? src.r32.umin == src.r32.umax : src.r64.umin == src.r64.umax;
    const uint64_t amount = is32 ? src.r32.umin : src.r64.umin;
    if (!known || amount >= width) {
      return is32 ? Scalar::zero_extended(4) : Scalar::unknown();
    }
  }
  if (is_divmod(op) && dst.is_const() && src.is_const()) {
    if (is32) {
      return Scalar::constant(concrete_divmod<uint32_t, int32_t>(op, static_cast<uint32_t>(dst.const_value()),
                                                                 static_cast<uint32_t>(src.const_value())));
    }
    return Scalar::constant(concrete_divmod<uint64_t, int64_t>(op, dst.const_value(), src.const_value()));
  }

  Scalar r;
  if (is32) {
    auto w = alu_width(op, dst.r32, src.r32, tnum_subreg(dst.bits), tnum_subreg(src.bits));
    r.r32 = w.range;
    r.bits = tnum_subreg(w.bits);
    r.zero_extend_32();
  } else {
    auto w = alu_width(op, dst.r64, src.r64, dst.bits, src.bits);
    r.r64 = w.range;
    r.bits = w.bits;
    // The low half of a sum, difference, product, logic op or left shift depends only on the low halves.
    const bool low_half_closed = op == AluOp::kAdd || op == AluOp::kSub || op == AluOp::kMul || op == AluOp::kAnd ||
                                 op == AluOp::kOr || op == AluOp::kXor || op == AluOp::kNeg ||
                                 (op == AluOp::kLsh && src.r64.umin < 32);
    if (low_half_closed) {
      r.r32 = alu_width(op, dst.r32, src.r32, tnum_subreg(dst.bits), tnum_subreg(src.bits)).range;
    }
  }
  if (!r.sync()) {
    // Unreachable for consistent operands; stay sound if it ever happens.
    return is32 ? Scalar::zero_extended(4) : Scalar::unknown();
  }
  return r;
}

}  // namespace bpfrt::verifier
