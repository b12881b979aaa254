// The meaning of each arithmetic, shift, byte-order and comparison operation, as RFC 9669 defines it:
// division by zero yields 0, modulo by zero leaves the dividend, INT_MIN / -1 wraps, INT_MIN % -1 is 0,
// shift counts are masked to the operand width, and 32-bit results are zero-extended by the caller.
// The interpreter executes these; the JIT's tests use them as the reference.
#pragma once

#include <cstdint>

namespace bpfrt::sem {

inline uint64_t div64(uint64_t a, uint64_t b) {
  return b == 0 ? 0 : a / b;
}
inline uint64_t mod64(uint64_t a, uint64_t b) {
  return b == 0 ? a : a % b;
}
inline uint32_t div32(uint32_t a, uint32_t b) {
  return b == 0 ? 0 : a / b;
}
inline uint32_t mod32(uint32_t a, uint32_t b) {
  return b == 0 ? a : a % b;
}

inline uint64_t sdiv64(uint64_t a, uint64_t b) {
  const auto x = static_cast<int64_t>(a);
  const auto y = static_cast<int64_t>(b);
  if (y == 0) {
    return 0;
  }
  if (y == -1) {
    return 0 - a;  // wraps for INT64_MIN
  }
  return static_cast<uint64_t>(x / y);
}

inline uint64_t smod64(uint64_t a, uint64_t b) {
  const auto x = static_cast<int64_t>(a);
  const auto y = static_cast<int64_t>(b);
  if (y == 0) {
    return a;
  }
  if (y == -1) {
    return 0;
  }
  return static_cast<uint64_t>(x % y);
}

inline uint32_t sdiv32(uint32_t a, uint32_t b) {
  const auto x = static_cast<int32_t>(a);
  const auto y = static_cast<int32_t>(b);
  if (y == 0) {
    return 0;
  }
  if (y == -1) {
    return 0 - a;
  }
  return static_cast<uint32_t>(x / y);
}

inline uint32_t smod32(uint32_t a, uint32_t b) {
  const auto x = static_cast<int32_t>(a);
  const auto y = static_cast<int32_t>(b);
  if (y == 0) {
    return a;
  }
  if (y == -1) {
    return 0;
  }
  return static_cast<uint32_t>(x % y);
}

inline uint64_t lsh64(uint64_t a, uint64_t b) {
  return a << (b & 63);
}
inline uint64_t rsh64(uint64_t a, uint64_t b) {
  return a >> (b & 63);
}
inline uint64_t arsh64(uint64_t a, uint64_t b) {
  return static_cast<uint64_t>(static_cast<int64_t>(a) >> (b & 63));
}
inline uint32_t lsh32(uint32_t a, uint32_t b) {
  return a << (b & 31);
}
inline uint32_t rsh32(uint32_t a, uint32_t b) {
  return a >> (b & 31);
}
inline uint32_t arsh32(uint32_t a, uint32_t b) {
  return static_cast<uint32_t>(static_cast<int32_t>(a) >> (b & 31));
}

inline uint64_t sext8(uint64_t a) {
  return static_cast<uint64_t>(static_cast<int64_t>(static_cast<int8_t>(a)));
}
inline uint64_t sext16(uint64_t a) {
  return static_cast<uint64_t>(static_cast<int64_t>(static_cast<int16_t>(a)));
}
inline uint64_t sext32(uint64_t a) {
  return static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(a)));
}

// On this little-endian host, `le` truncates and `be` swaps then truncates; bswap always swaps.
inline uint64_t to_le16(uint64_t a) {
  return static_cast<uint16_t>(a);
}
inline uint64_t to_le32(uint64_t a) {
  return static_cast<uint32_t>(a);
}
inline uint64_t to_le64(uint64_t a) {
  return a;
}
inline uint64_t swap16(uint64_t a) {
  return __builtin_bswap16(static_cast<uint16_t>(a));
}
inline uint64_t swap32(uint64_t a) {
  return __builtin_bswap32(static_cast<uint32_t>(a));
}
inline uint64_t swap64(uint64_t a) {
  return __builtin_bswap64(a);
}

// Conditional jumps: 64-bit operands; JMP32 passes both operands truncated to 32 bits and sign-aware
// comparisons use the 32-bit signed type.
inline bool jeq(uint64_t a, uint64_t b) {
  return a == b;
}
inline bool jne(uint64_t a, uint64_t b) {
  return a != b;
}
inline bool jset(uint64_t a, uint64_t b) {
  return (a & b) != 0;
}
inline bool jgt(uint64_t a, uint64_t b) {
  return a > b;
}
inline bool jge(uint64_t a, uint64_t b) {
  return a >= b;
}
inline bool jlt(uint64_t a, uint64_t b) {
  return a < b;
}
inline bool jle(uint64_t a, uint64_t b) {
  return a <= b;
}
inline bool jsgt(uint64_t a, uint64_t b) {
  return static_cast<int64_t>(a) > static_cast<int64_t>(b);
}
inline bool jsge(uint64_t a, uint64_t b) {
  return static_cast<int64_t>(a) >= static_cast<int64_t>(b);
}
inline bool jslt(uint64_t a, uint64_t b) {
  return static_cast<int64_t>(a) < static_cast<int64_t>(b);
}
inline bool jsle(uint64_t a, uint64_t b) {
  return static_cast<int64_t>(a) <= static_cast<int64_t>(b);
}
inline bool jsgt32(uint32_t a, uint32_t b) {
  return static_cast<int32_t>(a) > static_cast<int32_t>(b);
}
inline bool jsge32(uint32_t a, uint32_t b) {
  return static_cast<int32_t>(a) >= static_cast<int32_t>(b);
}
inline bool jslt32(uint32_t a, uint32_t b) {
  return static_cast<int32_t>(a) < static_cast<int32_t>(b);
}
inline bool jsle32(uint32_t a, uint32_t b) {
  return static_cast<int32_t>(a) <= static_cast<int32_t>(b);
}

}  // namespace bpfrt::sem
