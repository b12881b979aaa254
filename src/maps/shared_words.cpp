#include "maps/shared_words.hpp"

namespace bpfrt::words {
namespace {

uint32_t load32(const uint32_t* p) {
  return __atomic_load_n(p, __ATOMIC_RELAXED);
}
void store32(uint32_t* p, uint32_t v) {
  __atomic_store_n(p, v, __ATOMIC_RELAXED);
}

}  // namespace

void put_skipping(uint64_t* dst, const void* src, size_t n, size_t skip) {
  auto* d = reinterpret_cast<uint32_t*>(dst);
  const auto* s = static_cast<const uint8_t*>(src);
  for (size_t i = 0; i < n; i += 4) {
    if (i == skip) {
      continue;
    }
    uint32_t v = 0;
    std::memcpy(&v, s + i, n - i < 4 ? n - i : 4);
    store32(d + i / 4, v);
  }
}

void get_skipping(void* dst, const uint64_t* src, size_t n, size_t skip) {
  const auto* s = reinterpret_cast<const uint32_t*>(src);
  auto* d = static_cast<uint8_t*>(dst);
  for (size_t i = 0; i < n; i += 4) {
    const uint32_t v = i == skip ? 0 : load32(s + i / 4);
    std::memcpy(d + i, &v, n - i < 4 ? n - i : 4);
  }
}

}  // namespace bpfrt::words
