// Tristate numbers: what the verifier knows about the individual bits of a 64-bit value.
//
// A Tnum is a (value, mask) pair: bits set in `mask` are unknown, the other bits equal those of
// `value` (and `value & mask` is always 0). The set of concrete values a Tnum describes is closed under
// the operations below: for every x in a and y in b, x OP y is in tnum_OP(a, b). This is the same
// abstract domain the kernel verifier uses (kernel/bpf/tnum.c); the implementation here is our own.
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>

namespace bpfrt::verifier {

struct Tnum {
  uint64_t value = 0;
  uint64_t mask = ~uint64_t{0};

  static constexpr Tnum constant(uint64_t v) { return Tnum{v, 0}; }
  static constexpr Tnum unknown() { return Tnum{0, ~uint64_t{0}}; }
  // The smallest Tnum holding every value of [min, max].
  static Tnum range(uint64_t min, uint64_t max);

  bool is_const() const { return mask == 0; }
  bool is_unknown() const { return mask == ~uint64_t{0}; }
  uint64_t min() const { return value; }
  uint64_t max() const { return value | mask; }
  // True if the concrete value v is one of the values this Tnum describes.
  bool contains(uint64_t v) const { return (v & ~mask) == value; }
  // True if every value of `other` is also a value of this Tnum.
  bool includes(const Tnum& other) const;

  friend bool operator==(const Tnum&, const Tnum&) = default;
};

Tnum tnum_add(Tnum a, Tnum b);
Tnum tnum_sub(Tnum a, Tnum b);
Tnum tnum_mul(Tnum a, Tnum b);
Tnum tnum_and(Tnum a, Tnum b);
Tnum tnum_or(Tnum a, Tnum b);
Tnum tnum_xor(Tnum a, Tnum b);
Tnum tnum_lshift(Tnum a, unsigned shift);
Tnum tnum_rshift(Tnum a, unsigned shift);
// Arithmetic shift right of the low `bits` (32 or 64) bits; a 32-bit result is zero-extended.
Tnum tnum_arshift(Tnum a, unsigned shift, unsigned bits);
// Values in both a and b; meaningful only when the two overlap (see tnum_overlap).
Tnum tnum_intersect(Tnum a, Tnum b);
// False if no value is in both a and b.
bool tnum_overlap(Tnum a, Tnum b);
// Keeps the low `bytes` bytes (1, 2, 4 or 8); the rest become known zero.
Tnum tnum_cast(Tnum a, unsigned bytes);
// The low 32 bits as a zero-extended Tnum.
inline Tnum tnum_subreg(Tnum a) {
  return tnum_cast(a, 4);
}
// `a` with its low 32 bits replaced by those of `low`.
Tnum tnum_with_subreg(Tnum a, Tnum low);

// "(0x10; 0xf)" as in the kernel's log: value and mask in hex.
std::string tnum_to_string(Tnum a);

}  // namespace bpfrt::verifier
