// Branch refinement, byte-order and sign-extension transfer functions, and the text of scalars.
#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "verifier/scalar.hpp"

namespace bpfrt::verifier {

// ---- comparisons ---------------------------------------------------------------------------------

CmpOp negate(CmpOp op) {
  switch (op) {
    case CmpOp::kEq:
      return CmpOp::kNe;
    case CmpOp::kNe:
      return CmpOp::kEq;
    case CmpOp::kSet:
      return CmpOp::kNset;
    case CmpOp::kNset:
      return CmpOp::kSet;
    case CmpOp::kGt:
      return CmpOp::kLe;
    case CmpOp::kGe:
      return CmpOp::kLt;
    case CmpOp::kLt:
      return CmpOp::kGe;
    case CmpOp::kLe:
      return CmpOp::kGt;
    case CmpOp::kSgt:
      return CmpOp::kSle;
    case CmpOp::kSge:
      return CmpOp::kSlt;
    case CmpOp::kSlt:
      return CmpOp::kSge;
    case CmpOp::kSle:
      return CmpOp::kSgt;
  }
  return op;
}

CmpOp swap(CmpOp op) {
  switch (op) {
    case CmpOp::kGt:
      return CmpOp::kLt;
    case CmpOp::kGe:
      return CmpOp::kLe;
    case CmpOp::kLt:
      return CmpOp::kGt;
    case CmpOp::kLe:
      return CmpOp::kGe;
    case CmpOp::kSgt:
      return CmpOp::kSlt;
    case CmpOp::kSge:
      return CmpOp::kSle;
    case CmpOp::kSlt:
      return CmpOp::kSgt;
    case CmpOp::kSle:
      return CmpOp::kSge;
    default:
      return op;  // eq, ne, set and nset are symmetric
  }
}

namespace {

// Refines one width's intervals and Tnums for `a OP b`; false if impossible. The Tnums are the
// operands' bits restricted to this width.
template <class U, class S>
bool refine_width(CmpOp op, Interval<U, S>& a, Interval<U, S>& b, Tnum& ta, Tnum& tb) {
  constexpr U kMax = std::numeric_limits<U>::max();
  constexpr S kSmax = std::numeric_limits<S>::max();
  constexpr S kSmin = std::numeric_limits<S>::min();
  const bool a_const = a.umin == a.umax;
  const bool b_const = b.umin == b.umax;
  switch (op) {
    case CmpOp::kEq: {
      if (!tnum_overlap(ta, tb)) {
        return false;
      }
      ta = tb = tnum_intersect(ta, tb);
      a.umin = b.umin = std::max(a.umin, b.umin);
      a.umax = b.umax = std::min(a.umax, b.umax);
      a.smin = b.smin = std::max(a.smin, b.smin);
      a.smax = b.smax = std::min(a.smax, b.smax);
      return !a.empty();
    }
    case CmpOp::kNe: {
      // Only a constant on one side can shave an end off the other side's ranges.
      auto shave = [](Interval<U, S>& r, U c) {
        if (r.umin == c) {
          if (r.umin == kMax) {
            return false;
          }
          ++r.umin;
        } else if (r.umax == c) {
          if (r.umax == 0) {
            return false;
          }
          --r.umax;
        }
        const auto sc = static_cast<S>(c);
        if (r.smin == sc) {
          if (r.smin == kSmax) {
            return false;
          }
          ++r.smin;
        } else if (r.smax == sc) {
          if (r.smax == kSmin) {
            return false;
          }
          --r.smax;
        }
        return !r.empty();
      };
      if (a_const && b_const) {
        return a.umin != b.umin;
      }
      if (b_const) {
        return shave(a, b.umin);
      }
      if (a_const) {
        return shave(b, a.umin);
      }
      return true;
    }
    case CmpOp::kSet:
    case CmpOp::kNset: {
      const U may_a = static_cast<U>(ta.value | ta.mask);
      const U may_b = static_cast<U>(tb.value | tb.mask);
      if (op == CmpOp::kSet) {
        if ((may_a & may_b) == 0) {
          return false;
        }
        // A single possible common bit must be set in both.
        const U common = may_a & may_b;
        if ((common & (common - 1)) == 0) {
          ta = tnum_or(ta, Tnum::constant(common));
          tb = tnum_or(tb, Tnum::constant(common));
        }
        return true;
      }
      if ((static_cast<U>(ta.value) & static_cast<U>(tb.value)) != 0) {
        return false;  // a bit is known set in both
      }
      if (b_const) {
        ta = tnum_and(ta, Tnum::constant(~uint64_t{b.umin}));
      }
      if (a_const) {
        tb = tnum_and(tb, Tnum::constant(~uint64_t{a.umin}));
      }
      return true;
    }
    case CmpOp::kGt:
      if (b.umin == kMax || a.umax == 0) {
        return false;
      }
      a.umin = std::max(a.umin, static_cast<U>(b.umin + 1));
      b.umax = std::min(b.umax, static_cast<U>(a.umax - 1));
      return !a.empty() && !b.empty();
    case CmpOp::kGe:
      a.umin = std::max(a.umin, b.umin);
      b.umax = std::min(b.umax, a.umax);
      return !a.empty() && !b.empty();
    case CmpOp::kSgt:
      if (b.smin == kSmax || a.smax == kSmin) {
        return false;
      }
      a.smin = std::max(a.smin, static_cast<S>(b.smin + 1));
      b.smax = std::min(b.smax, static_cast<S>(a.smax - 1));
      return !a.empty() && !b.empty();
    case CmpOp::kSge:
      a.smin = std::max(a.smin, b.smin);
      b.smax = std::min(b.smax, a.smax);
      return !a.empty() && !b.empty();
    case CmpOp::kLt:
    case CmpOp::kLe:
    case CmpOp::kSlt:
    case CmpOp::kSle:
      return refine_width(swap(op), b, a, tb, ta);
  }
  return true;
}

}  // namespace

bool refine_compare(CmpOp op, Scalar& a, Scalar& b, bool is32) {
  if (is32) {
    Tnum ta = tnum_subreg(a.bits);
    Tnum tb = tnum_subreg(b.bits);
    if (!refine_width(op, a.r32, b.r32, ta, tb)) {
      return false;
    }
    a.bits = tnum_with_subreg(a.bits, ta);
    b.bits = tnum_with_subreg(b.bits, tb);
  } else if (!refine_width(op, a.r64, b.r64, a.bits, b.bits)) {
    return false;
  }
  return a.sync() && b.sync();
}

// ---- byte order and sign extension ----------------------------------------------------------------

Scalar scalar_truncate(const Scalar& a, unsigned bytes) {
  if (bytes >= 8) {
    return a;
  }
  const uint64_t limit = (uint64_t{1} << (bytes * 8)) - 1;
  if (a.r64.umax <= limit) {
    return a;  // already fits
  }
  Scalar r;
  r.bits = tnum_cast(a.bits, bytes);
  (void)r.sync();
  return r;
}

Scalar scalar_bswap(const Scalar& a, unsigned bytes) {
  auto swap = [bytes](uint64_t v) -> uint64_t {
    switch (bytes) {
      case 2:
        return __builtin_bswap16(static_cast<uint16_t>(v));
      case 4:
        return __builtin_bswap32(static_cast<uint32_t>(v));
      default:
        return __builtin_bswap64(v);
    }
  };
  Scalar r;
  r.bits = Tnum{swap(a.bits.value), swap(a.bits.mask)};  // byte swapping only permutes bits
  (void)r.sync();
  return r;
}

Scalar scalar_sign_extend(const Scalar& a, unsigned bytes) {
  if (bytes >= 8) {
    return a;
  }
  const unsigned bits = bytes * 8;
  const int64_t half = int64_t{1} << (bits - 1);
  if (a.r64.smin >= -half && a.r64.smax < half) {
    return a;  // sign extension leaves such values unchanged
  }
  Tnum t = tnum_cast(a.bits, bytes);
  const uint64_t sign = uint64_t{1} << (bits - 1);
  const uint64_t upper = ~((uint64_t{1} << bits) - 1);
  if ((t.mask & sign) != 0) {
    t.mask |= upper;
  } else if ((t.value & sign) != 0) {
    t.value |= upper;
  }
  Scalar r;
  r.bits = t;
  r.r64.smin = -half;
  r.r64.smax = half - 1;
  if (!r.sync()) {
    return Scalar::sign_extended(bytes);
  }
  return r;
}

Scalar scalar_sign_extend_32(const Scalar& a, unsigned bytes) {
  Scalar r = scalar_sign_extend(a, bytes);
  r.bits = tnum_subreg(r.bits);
  r.r64 = Interval64{};
  r.zero_extend_32();
  if (!r.sync()) {
    return Scalar::zero_extended(4);
  }
  return r;
}

// ---- text ---------------------------------------------------------------------------------------

namespace {

std::string number(int64_t v) {
  return v >= -512 && v <= 512 ? fmt::format("{}", v) : fmt::format("{:#x}", static_cast<uint64_t>(v));
}
std::string unumber(uint64_t v) {
  return v <= 512 ? fmt::format("{}", v) : fmt::format("{:#x}", v);
}

}  // namespace

std::string scalar_bounds_text(const Scalar& s) {
  std::vector<std::string> parts;
  const Interval64 any64{};
  const Interval32 any32{};
  if (s.r64.smin != any64.smin) {
    parts.push_back("smin=" + number(s.r64.smin));
  }
  if (s.r64.smax != any64.smax) {
    parts.push_back("smax=" + number(s.r64.smax));
  }
  if (s.r64.umin != any64.umin) {
    parts.push_back("umin=" + unumber(s.r64.umin));
  }
  if (s.r64.umax != any64.umax) {
    parts.push_back("umax=" + unumber(s.r64.umax));
  }
  // The 32-bit ranges only when they add something to the 64-bit ones.
  const bool fits32 = s.r64.umax <= 0xffffffffULL && s.r64.smin >= 0;
  if (!fits32) {
    if (s.r32.smin != any32.smin) {
      parts.push_back("smin32=" + number(s.r32.smin));
    }
    if (s.r32.smax != any32.smax) {
      parts.push_back("smax32=" + number(s.r32.smax));
    }
    if (s.r32.umin != any32.umin) {
      parts.push_back("umin32=" + unumber(s.r32.umin));
    }
    if (s.r32.umax != any32.umax) {
      parts.push_back("umax32=" + unumber(s.r32.umax));
    }
  }
  if (!s.bits.is_unknown()) {
    parts.push_back("var_off=" + tnum_to_string(s.bits));
  }
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    out += (i == 0 ? "" : ",") + parts[i];
  }
  return out;
}

std::string scalar_to_string(const Scalar& s) {
  if (s.is_const()) {
    return number(static_cast<int64_t>(s.const_value()));
  }
  return "scalar(" + scalar_bounds_text(s) + ")";
}

}  // namespace bpfrt::verifier
