// Copying keys and values in and out of shared map memory, and hashing keys.
//
// Map memory is read by lock-free lookups while other threads or processes write it, so it is only
// accessed through relaxed atomic loads and stores of aligned words (plain moves on x86-64, and clean
// under ThreadSanitizer). Keys and values are stored 8-byte aligned with their tails zero-padded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace bpfrt::words {

inline uint64_t load(const uint64_t* p) {
  return __atomic_load_n(p, __ATOMIC_RELAXED);
}
inline void store(uint64_t* p, uint64_t v) {
  __atomic_store_n(p, v, __ATOMIC_RELAXED);
}
inline size_t count(size_t bytes) {
  return (bytes + 7) / 8;
}

// The 1-7 bytes at p as a zero-extended word, loaded in registers (no partial store to reload).
inline uint64_t load_tail(const uint8_t* p, size_t n) {
  uint32_t lo4 = 0;
  uint16_t lo2 = 0;
  switch (n) {
    case 1:
      return p[0];
    case 2:
      std::memcpy(&lo2, p, 2);
      return lo2;
    case 3:
      std::memcpy(&lo2, p, 2);
      return lo2 | uint64_t{p[2]} << 16;
    case 4:
      std::memcpy(&lo4, p, 4);
      return lo4;
    case 5:
      std::memcpy(&lo4, p, 4);
      return lo4 | uint64_t{p[4]} << 32;
    case 6:
      std::memcpy(&lo4, p, 4);
      std::memcpy(&lo2, p + 4, 2);
      return lo4 | uint64_t{lo2} << 32;
    default:
      std::memcpy(&lo4, p, 4);
      std::memcpy(&lo2, p + 4, 2);
      return lo4 | uint64_t{lo2} << 32 | uint64_t{p[6]} << 48;
  }
}

// Reads n bytes of caller memory into zero-padded words.
inline void gather(uint64_t* out, const void* src, size_t n) {
  const auto* s = static_cast<const uint8_t*>(src);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::memcpy(&out[i / 8], s + i, 8);
  }
  if (i < n) {
    out[i / 8] = load_tail(s + i, n - i);
  }
}

// Copies n bytes of caller memory into shared words (tail zero-padded).
inline void put(uint64_t* dst, const void* src, size_t n) {
  const auto* s = static_cast<const uint8_t*>(src);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t v;
    std::memcpy(&v, s + i, 8);
    store(dst + i / 8, v);
  }
  if (i < n) {
    store(dst + i / 8, load_tail(s + i, n - i));
  }
}

// Copies n bytes of shared words out to caller memory.
inline void get(void* dst, const uint64_t* src, size_t n) {
  auto* d = static_cast<uint8_t*>(dst);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const uint64_t v = load(src + i / 8);
    std::memcpy(d + i, &v, 8);
  }
  if (i < n) {
    const uint64_t v = load(src + i / 8);
    std::memcpy(d + i, &v, n - i);
  }
}

inline void zero(uint64_t* dst, size_t n) {
  for (size_t i = 0; i < count(n); ++i) {
    store(dst + i, 0);
  }
}

// Compares shared words with zero-padded local words.
inline bool equal(const uint64_t* shared, const uint64_t* local, size_t nwords) {
  for (size_t i = 0; i < nwords; ++i) {
    if (load(shared + i) != local[i]) {
      return false;
    }
  }
  return true;
}

// The same with 32-bit granularity, leaving out the 4-byte word at `skip` (a bpf_spin_lock inside a
// value, which copies must not touch). `skip` is a byte offset, a multiple of 4.
void put_skipping(uint64_t* dst, const void* src, size_t n, size_t skip);
void get_skipping(void* dst, const uint64_t* src, size_t n, size_t skip);

inline uint64_t mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

// A fast keyed hash of zero-padded words: one multiply per word and a short finish whose high bits
// are folded into the low ones (bucket indices are low bits).
inline uint64_t hash(const uint64_t* w, size_t nwords, uint64_t seed) {
  uint64_t h = seed ^ nwords;
  for (size_t i = 0; i < nwords; ++i) {
    h = (h ^ w[i]) * 0x9e3779b97f4a7c15ULL;
    h ^= h >> 32;
  }
  h *= 0xd6e8feb86659fd93ULL;
  return h ^ (h >> 32);
}

}  // namespace bpfrt::words
