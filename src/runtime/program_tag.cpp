#include "runtime/program_tag.hpp"

#include <cstring>
#include <vector>

namespace bpfrt {
namespace {

uint32_t rol(uint32_t v, int n) {
  return (v << n) | (v >> (32 - n));
}

void sha1_block(uint32_t h[5], const uint8_t* block) {
  uint32_t w[80];
  for (int i = 0; i < 16; ++i) {
    w[i] = static_cast<uint32_t>(block[4 * i]) << 24 | static_cast<uint32_t>(block[4 * i + 1]) << 16 |
           static_cast<uint32_t>(block[4 * i + 2]) << 8 | block[4 * i + 3];
  }
  for (int i = 16; i < 80; ++i) {
    w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
  }
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
  for (int i = 0; i < 80; ++i) {
    uint32_t f, k;
    if (i < 20) {
      f = (b & c) | (~b & d);
      k = 0x5a827999;
    } else if (i < 40) {
      f = b ^ c ^ d;
      k = 0x6ed9eba1;
    } else if (i < 60) {
      f = (b & c) | (b & d) | (c & d);
      k = 0x8f1bbcdc;
    } else {
      f = b ^ c ^ d;
      k = 0xca62c1d6;
    }
    const uint32_t t = rol(a, 5) + f + e + k + w[i];
    e = d;
    d = c;
    c = rol(b, 30);
    b = a;
    a = t;
  }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
  h[4] += e;
}

}  // namespace

uint64_t program_tag(const Program& program) {
  std::vector<Instruction> insns(program.instructions().begin(), program.instructions().end());
  bool was_ld_map = false;
  for (Instruction& insn : insns) {
    const bool map_load = insn.opcode == 0x18 && (insn.src == static_cast<uint8_t>(LddwSrc::kMapFd) ||
                                                  insn.src == static_cast<uint8_t>(LddwSrc::kMapValue));
    if (!was_ld_map && map_load) {
      was_ld_map = true;
      insn.imm = 0;
    } else if (was_ld_map && insn.opcode == 0 && insn.dst == 0 && insn.src == 0 && insn.offset == 0) {
      was_ld_map = false;
      insn.imm = 0;
    } else {
      was_ld_map = false;
    }
  }
  std::vector<uint8_t> msg(insns.size() * 8);
  std::memcpy(msg.data(), insns.data(), msg.size());
  const uint64_t bits = uint64_t{msg.size()} * 8;
  msg.push_back(0x80);
  while (msg.size() % 64 != 56) {
    msg.push_back(0);
  }
  for (int i = 7; i >= 0; --i) {
    msg.push_back(static_cast<uint8_t>(bits >> (8 * i)));
  }
  uint32_t h[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
  for (size_t off = 0; off < msg.size(); off += 64) {
    sha1_block(h, msg.data() + off);
  }
  uint8_t digest[8];
  for (int i = 0; i < 2; ++i) {
    digest[4 * i] = static_cast<uint8_t>(h[i] >> 24);
    digest[4 * i + 1] = static_cast<uint8_t>(h[i] >> 16);
    digest[4 * i + 2] = static_cast<uint8_t>(h[i] >> 8);
    digest[4 * i + 3] = static_cast<uint8_t>(h[i]);
  }
  uint64_t tag;
  std::memcpy(&tag, digest, 8);
  return tag;
}

}  // namespace bpfrt
