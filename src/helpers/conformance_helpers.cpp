#include "helpers/conformance_helpers.hpp"

namespace bpfrt {
namespace {

uint64_t gather_bytes(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, RunContext* /*rc*/) {
  return (a & 0xff) << 32 | (b & 0xff) << 24 | (c & 0xff) << 16 | (d & 0xff) << 8 | (e & 0xff);
}

uint64_t memfrob(uint64_t ptr, uint64_t len, uint64_t, uint64_t, uint64_t, RunContext* rc) {
  if (!rc->accessible(ptr, len, true)) {
    rc->fail("memfrob: buffer is outside the program's memory");
    return 0;
  }
  auto* p = reinterpret_cast<uint8_t*>(ptr);
  for (uint64_t i = 0; i < len; ++i) {
    p[i] ^= 42;
  }
  return 0;
}

uint64_t no_op(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, RunContext* /*rc*/) {
  return 0;
}

// floor(sqrt(x)) computed exactly for all 64-bit x.
uint64_t sqrti(uint64_t x, uint64_t, uint64_t, uint64_t, uint64_t, RunContext* /*rc*/) {
  uint64_t lo = 0;
  uint64_t hi = 0xffffffffULL;
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo + 1) / 2;
    if (mid * mid <= x) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

uint64_t strcmp_ext(uint64_t a, uint64_t b, uint64_t, uint64_t, uint64_t, RunContext* rc) {
  for (uint64_t i = 0;; ++i) {
    if (!rc->accessible(a + i, 1, false) || !rc->accessible(b + i, 1, false)) {
      rc->fail("strcmp_ext: string runs outside the program's memory");
      return 0;
    }
    const auto ca = *reinterpret_cast<const uint8_t*>(a + i);
    const auto cb = *reinterpret_cast<const uint8_t*>(b + i);
    if (ca != cb || ca == 0) {
      return static_cast<uint64_t>(static_cast<int64_t>(ca) - static_cast<int64_t>(cb));
    }
  }
}

uint64_t unwind(uint64_t x, uint64_t, uint64_t, uint64_t, uint64_t, RunContext* rc) {
  if (x == 0) {
    rc->stop(0);
  }
  return x;
}

}  // namespace

Status add_conformance_helpers(HelperTable& table) {
  const HelperPrototype anything{
      RetType::kInteger,
      {ArgType::kAnything, ArgType::kAnything, ArgType::kAnything, ArgType::kAnything, ArgType::kAnything}};
  BPFRT_TRY(table.add({0, "gather_bytes", gather_bytes, anything}));
  BPFRT_TRY(table.add(
      {1, "memfrob", memfrob, HelperPrototype{RetType::kInteger, {ArgType::kPtrToMem, ArgType::kConstSizeOrZero}}}));
  BPFRT_TRY(table.add({2, "no_op", no_op, HelperPrototype{}}));
  BPFRT_TRY(table.add({3, "sqrti", sqrti, HelperPrototype{RetType::kInteger, {ArgType::kAnything}}}));
  BPFRT_TRY(table.add(
      {4, "strcmp_ext", strcmp_ext, HelperPrototype{RetType::kInteger, {ArgType::kAnything, ArgType::kAnything}}}));
  BPFRT_TRY(table.add({5, "unwind", unwind, HelperPrototype{RetType::kInteger, {ArgType::kAnything}}}));
  return {};
}

}  // namespace bpfrt
