// Tristate-number arithmetic. Each operation is written so that its result covers every combination of
// concrete operands; tests/verifier/tnum_test.cpp checks that exhaustively on small widths.
#include "verifier/tnum.hpp"

#include <fmt/format.h>

namespace bpfrt::verifier {

Tnum Tnum::range(uint64_t min, uint64_t max) {
  const uint64_t differing = min ^ max;
  if (differing == 0) {
    return constant(min);
  }
  const int bits = 64 - __builtin_clzll(differing);  // every bit at or below the highest difference may vary
  if (bits >= 64) {
    return unknown();
  }
  const uint64_t low = (uint64_t{1} << bits) - 1;
  return Tnum{min & ~low, low};
}

bool Tnum::includes(const Tnum& other) const {
  if ((other.mask & ~mask) != 0) {
    return false;  // other has an unknown bit that we know
  }
  return (other.value & ~mask) == value;
}

Tnum tnum_add(Tnum a, Tnum b) {
  // The sum of the known parts, and how far carries out of unknown bits can reach.
  const uint64_t known_sum = a.value + b.value;
  const uint64_t max_sum = known_sum + a.mask + b.mask;
  const uint64_t unknown = (known_sum ^ max_sum) | a.mask | b.mask;
  return Tnum{known_sum & ~unknown, unknown};
}

Tnum tnum_sub(Tnum a, Tnum b) {
  const uint64_t diff = a.value - b.value;
  const uint64_t high = diff + a.mask;  // largest minuend, smallest subtrahend
  const uint64_t low = diff - b.mask;   // smallest minuend, largest subtrahend
  const uint64_t unknown = (high ^ low) | a.mask | b.mask;
  return Tnum{diff & ~unknown, unknown};
}

Tnum tnum_mul(Tnum a, Tnum b) {
  // Long multiplication: the known product, plus for every bit of `a` that may be 1 a partial product
  // whose uncertain part is accumulated with tnum_add.
  const uint64_t known_product = a.value * b.value;
  Tnum uncertain = Tnum::constant(0);
  while (a.value != 0 || a.mask != 0) {
    if ((a.mask & 1) != 0) {
      uncertain = tnum_add(uncertain, Tnum{0, b.value | b.mask});
    } else if ((a.value & 1) != 0) {
      uncertain = tnum_add(uncertain, Tnum{0, b.mask});
    }
    a = tnum_rshift(a, 1);
    b = tnum_lshift(b, 1);
  }
  return tnum_add(Tnum::constant(known_product), uncertain);
}

Tnum tnum_and(Tnum a, Tnum b) {
  const uint64_t may_a = a.value | a.mask;
  const uint64_t may_b = b.value | b.mask;
  const uint64_t known_ones = a.value & b.value;
  return Tnum{known_ones, may_a & may_b & ~known_ones};
}

Tnum tnum_or(Tnum a, Tnum b) {
  const uint64_t known_ones = a.value | b.value;
  return Tnum{known_ones, (a.mask | b.mask) & ~known_ones};
}

Tnum tnum_xor(Tnum a, Tnum b) {
  const uint64_t unknown = a.mask | b.mask;
  return Tnum{(a.value ^ b.value) & ~unknown, unknown};
}

Tnum tnum_lshift(Tnum a, unsigned shift) {
  if (shift >= 64) {
    return Tnum::constant(0);
  }
  return Tnum{a.value << shift, a.mask << shift};
}

Tnum tnum_rshift(Tnum a, unsigned shift) {
  if (shift >= 64) {
    return Tnum::constant(0);
  }
  return Tnum{a.value >> shift, a.mask >> shift};
}

Tnum tnum_arshift(Tnum a, unsigned shift, unsigned bits) {
  if (bits == 32) {
    shift &= 31;
    const auto value = static_cast<uint32_t>(static_cast<int32_t>(static_cast<uint32_t>(a.value)) >> shift);
    const auto mask = static_cast<uint32_t>(static_cast<int32_t>(static_cast<uint32_t>(a.mask)) >> shift);
    return Tnum{value, mask};
  }
  shift &= 63;
  return Tnum{static_cast<uint64_t>(static_cast<int64_t>(a.value) >> shift),
              static_cast<uint64_t>(static_cast<int64_t>(a.mask) >> shift)};
}

Tnum tnum_intersect(Tnum a, Tnum b) {
  const uint64_t value = a.value | b.value;
  const uint64_t mask = a.mask & b.mask;
  return Tnum{value & ~mask, mask};
}

bool tnum_overlap(Tnum a, Tnum b) {
  // A bit known in both must agree.
  return ((a.value ^ b.value) & ~(a.mask | b.mask)) == 0;
}

Tnum tnum_cast(Tnum a, unsigned bytes) {
  if (bytes >= 8) {
    return a;
  }
  const uint64_t keep = (uint64_t{1} << (bytes * 8)) - 1;
  return Tnum{a.value & keep, a.mask & keep};
}

Tnum tnum_with_subreg(Tnum a, Tnum low) {
  const uint64_t high = ~uint64_t{0xffffffff};
  return Tnum{(a.value & high) | (low.value & 0xffffffff), (a.mask & high) | (low.mask & 0xffffffff)};
}

std::string tnum_to_string(Tnum a) {
  return fmt::format("(0x{:x}; 0x{:x})", a.value, a.mask);
}

}  // namespace bpfrt::verifier
