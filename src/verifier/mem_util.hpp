// Small facts about memory accesses shared by the load/store, stack and helper-memory checks.
#pragma once

#include <cstdint>

#include "verifier/verifier_env.hpp"

namespace bpfrt::verifier {

// Offsets beyond this are refused outright, as in the kernel (BPF_MAX_VAR_OFF).
inline constexpr int64_t kMaxVarOff = int64_t{1} << 29;

// What a load of `size` bytes yields when nothing more is known.
inline Scalar loaded_scalar(int size, bool sign_extend) {
  return sign_extend ? Scalar::sign_extended(static_cast<unsigned>(size))
                     : Scalar::zero_extended(static_cast<unsigned>(size));
}

inline bool is_zero(const RegState* value) {
  return value != nullptr && value->is_const_scalar() && value->var.const_value() == 0;
}

inline const char* access_verb(AccessType type) {
  return type == AccessType::kRead ? "read from" : "write to";
}

// True if base + fixed + var is a multiple of `size` for every var, the base being 8-byte aligned.
inline bool is_aligned(const RegState& reg, int64_t fixed, int size) {
  const auto m = static_cast<uint64_t>(size - 1);
  return (reg.var.bits.mask & m) == 0 && ((reg.var.bits.value + static_cast<uint64_t>(fixed)) & m) == 0;
}

}  // namespace bpfrt::verifier
