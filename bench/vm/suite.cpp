#include "suite.hpp"

#include <cstring>

// Every program of the suite, in the order of BENCH_VM_PROGRAMS in CMakeLists.txt.
#define BPFRT_VM_PROGRAMS(X) \
  X(log2_loop)               \
  X(prime_count)             \
  X(memcpy_buf)              \
  X(strcmp_loop) X(switch_dispatch) X(small_sort) X(parse_headers) X(jhash_key) X(fnv_key) X(checksum64) X(bit_ops)

// The natively compiled functions (C linkage) and the generated <name>_bpf.cpp arrays.
#define BPFRT_DECLARE_NATIVE(name) uint64_t bench_native_##name(void* ctx);
extern "C" {
BPFRT_VM_PROGRAMS(BPFRT_DECLARE_NATIVE)
}
#undef BPFRT_DECLARE_NATIVE

namespace bpfrt::bench {

#define BPFRT_DECLARE_BPF(name)          \
  extern const uint8_t k_##name##_bpf[]; \
  extern const size_t k_##name##_bpf_size;
BPFRT_VM_PROGRAMS(BPFRT_DECLARE_BPF)
#undef BPFRT_DECLARE_BPF

namespace {

// splitmix64: a fixed sequence, so every run sees the same inputs.
class Rng {
 public:
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  uint64_t state_ = 42;
};

template <class T>
void put(std::vector<uint8_t>& buf, size_t offset, T value) {
  std::memcpy(buf.data() + offset, &value, sizeof(T));
}

std::vector<uint8_t> random_bytes(size_t n) {
  Rng rng;
  std::vector<uint8_t> buf(n);
  for (auto& b : buf) {
    b = static_cast<uint8_t>(rng.next());
  }
  return buf;
}

std::vector<uint8_t> log2_input() {
  Rng rng;
  std::vector<uint8_t> buf(size_t{256} * 8);
  for (size_t i = 0; i < 256; ++i) {
    put<uint64_t>(buf, 8 * i, rng.next() >> (rng.next() % 64));
  }
  return buf;
}

std::vector<uint8_t> prime_input() {
  std::vector<uint8_t> buf(8);
  put<uint64_t>(buf, 0, 2000);
  return buf;
}

std::vector<uint8_t> memcpy_input() {
  std::vector<uint8_t> buf = random_bytes(4096);
  std::memset(buf.data() + 2048, 0, 2048);
  return buf;
}

// 32 pairs of 40-character strings; a pair differs at position 30 + i % 10, or (every 4th) not at all.
std::vector<uint8_t> strcmp_input() {
  Rng rng;
  constexpr size_t kRow = 48;
  constexpr size_t kSecond = 32 * kRow;  // where the b strings start
  std::vector<uint8_t> buf(2 * kSecond, 0);
  for (size_t i = 0; i < 32; ++i) {
    for (size_t k = 0; k < 40; ++k) {
      const auto c = static_cast<uint8_t>('a' + rng.next() % 26);
      buf[i * kRow + k] = c;
      buf[kSecond + i * kRow + k] = c;
    }
    if (i % 4 != 0) {
      buf[kSecond + i * kRow + 30 + i % 10] ^= 1;
    }
  }
  return buf;
}

std::vector<uint8_t> switch_input() {
  return random_bytes(512);
}

std::vector<uint8_t> sort_input() {
  return random_bytes(size_t{64} * 4);
}

// Ethernet + IPv4 (ihl 5) + TCP SYN to port 443, 74 bytes in a 128-byte buffer, then the length.
std::vector<uint8_t> packet_input() {
  std::vector<uint8_t> buf(132, 0);
  const uint8_t eth[14] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00};
  const uint8_t ip[20] = {0x45, 0, 0, 60, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
  const uint8_t tcp[20] = {0xc3, 0x50, 0x01, 0xbb, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0};
  std::memcpy(buf.data(), eth, sizeof(eth));
  std::memcpy(buf.data() + 14, ip, sizeof(ip));
  std::memcpy(buf.data() + 34, tcp, sizeof(tcp));
  put<uint32_t>(buf, 128, 74);
  return buf;
}

std::vector<uint8_t> jhash_input() {
  return random_bytes(20);
}
std::vector<uint8_t> fnv_input() {
  return random_bytes(32);
}
std::vector<uint8_t> checksum_input() {
  return random_bytes(64);
}
std::vector<uint8_t> bitops_input() {
  return random_bytes(16);
}

#define PROGRAM(name, kind, what, input)                                                               \
  VmProgram {                                                                                          \
#name, what, ProgramKind::kind, {k_##name##_bpf, k_##name##_bpf_size }, bench_native_##name, input \
  }

const VmProgram suite_programs[] = {
    PROGRAM(log2_loop, kLoop, "integer log2 of 256 values", log2_input),
    PROGRAM(prime_count, kLoop, "primes below 2000 by trial division", prime_input),
    PROGRAM(memcpy_buf, kLoop, "copy 2 KiB, 8 bytes at a time", memcpy_input),
    PROGRAM(strcmp_loop, kLoop, "strcmp of 32 string pairs", strcmp_input),
    PROGRAM(switch_dispatch, kLoop, "switch over 512 opcodes", switch_input),
    PROGRAM(small_sort, kLoop, "insertion sort of 64 values", sort_input),
    PROGRAM(parse_headers, kLoopFree, "parse Ethernet/IPv4/TCP", packet_input),
    PROGRAM(jhash_key, kLoopFree, "jhash of a 16-byte key", jhash_input),
    PROGRAM(fnv_key, kLoopFree, "FNV-1a of a 32-byte key", fnv_input),
    PROGRAM(checksum64, kLoopFree, "Internet checksum of 64 bytes", checksum_input),
    PROGRAM(bit_ops, kLoopFree, "popcount, bit reverse, rotates", bitops_input),
};
#undef PROGRAM

}  // namespace

std::span<const VmProgram> vm_programs() {
  return suite_programs;
}

}  // namespace bpfrt::bench
