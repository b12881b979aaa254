// A direct encoder for the memory-operand forms the JIT emits most: [base + disp] with no index.
// xbyak builds an Address object per operand and takes ~45 ns for each such instruction; these
// forms are a few bytes of REX, opcode, ModRM (and SIB for rsp/r12 bases) and a displacement, so
// writing them here keeps compilation within its budget. The register-register and register-immediate
// ALU and compare forms likewise; everything else goes through xbyak.
#include "vm/jit/jit_emitter.hpp"

#include <cstring>

namespace bpfrt {

// Room for one instruction at the end of the code; the encoders write there and commit() what they
// wrote (no staging buffer: byte stores followed by a wide copy stall store forwarding).
uint8_t* Emitter::reserve() {
  while (size_ + kMaxInsnBytes > maxSize_) {
    growMemory();  // the code buffer grows automatically (Xbyak::AutoGrow)
  }
  return top_ + size_;
}

void Emitter::commit(size_t count) {
  size_ += count;
}

void Emitter::mem_form(const MemForm& form, int reg_field, int base, int32_t disp) {
  uint8_t* const buf = reserve();
  size_t n = 0;
  const bool extended_byte_reg = form.byte_reg && reg_field >= 4 && reg_field <= 7;  // spl..dil need REX
  if (form.prefix66) {
    buf[n++] = 0x66;
  }
  const uint8_t rex =
      static_cast<uint8_t>(0x40 | (form.rex_w ? 8 : 0) | ((reg_field & 8) != 0 ? 4 : 0) | ((base & 8) != 0 ? 1 : 0));
  if (rex != 0x40 || extended_byte_reg) {
    buf[n++] = rex;
  }
  for (int i = 0; i < form.opcode_len; ++i) {
    buf[n++] = form.opcode[i];
  }
  const int low = base & 7;
  // mod 00 has no displacement except with rbp/r13 (which means rip-relative / disp32 there).
  const int mod = disp == 0 && low != 5 ? 0 : disp >= -128 && disp <= 127 ? 1 : 2;
  buf[n++] = static_cast<uint8_t>((mod << 6) | ((reg_field & 7) << 3) | low);
  if (low == 4) {
    buf[n++] = 0x24;  // SIB: no index, base rsp/r12
  }
  if (mod == 1) {
    buf[n++] = static_cast<uint8_t>(disp);
  } else if (mod == 2) {
    std::memcpy(buf + n, &disp, 4);
    n += 4;
  }
  commit(n);
}

// REX (only when needed), opcode, ModRM with mod 11.
namespace {

size_t register_form(uint8_t* buf, bool is64, int reg_field, int rm, uint8_t opcode) {
  size_t n = 0;
  const auto rex = static_cast<uint8_t>(0x40 | (is64 ? 8 : 0) | ((reg_field & 8) != 0 ? 4 : 0) | ((rm & 8) != 0 ? 1 : 0));
  if (rex != 0x40) {
    buf[n++] = rex;
  }
  buf[n++] = opcode;
  buf[n++] = static_cast<uint8_t>(0xc0 | ((reg_field & 7) << 3) | (rm & 7));
  return n;
}

}  // namespace

void Emitter::alu_ri(int digit, bool is64, int dst, int32_t imm) {
  uint8_t* const buf = reserve();
  const bool short_imm = imm >= -128 && imm <= 127;
  size_t n = register_form(buf, is64, digit, dst, short_imm ? 0x83 : 0x81);
  if (short_imm) {
    buf[n++] = static_cast<uint8_t>(imm);
  } else {
    std::memcpy(buf + n, &imm, 4);
    n += 4;
  }
  commit(n);
}

void Emitter::alu_rr(uint8_t opcode, bool is64, int dst, int src) {
  uint8_t* const buf = reserve();
  commit(register_form(buf, is64, src, dst, opcode));
}

void Emitter::test_ri(bool is64, int dst, uint32_t imm) {
  uint8_t* const buf = reserve();
  const size_t n = register_form(buf, is64, 0, dst, 0xf7);
  std::memcpy(buf + n, &imm, 4);
  commit(n + 4);
}

}  // namespace bpfrt

namespace bpfrt {

void Emitter::load(int width, bool sign, int dst, int base, int32_t disp) {
  static constexpr MemForm kZeroExtend[] = {
      {false, false, false, 2, {0x0f, 0xb6}},  // movzx r32, byte
      {false, false, false, 2, {0x0f, 0xb7}},  // movzx r32, word
      {false, false, false, 1, {0x8b, 0}},     // mov r32, dword
      {true, false, false, 1, {0x8b, 0}},      // mov r64, qword
  };
  static constexpr MemForm kSignExtend[] = {
      {true, false, false, 2, {0x0f, 0xbe}},  // movsx r64, byte
      {true, false, false, 2, {0x0f, 0xbf}},  // movsx r64, word
      {true, false, false, 1, {0x63, 0}},     // movsxd r64, dword
      {true, false, false, 1, {0x8b, 0}},     // mov r64, qword
  };
  const int w = width_index(width);
  mem_form(sign ? kSignExtend[w] : kZeroExtend[w], dst, base, disp);
}

void Emitter::store(int width, int src, int base, int32_t disp) {
  static constexpr MemForm kForms[] = {
      {false, false, true, 1, {0x88, 0}},   // mov byte, r8
      {false, true, false, 1, {0x89, 0}},   // mov word, r16
      {false, false, false, 1, {0x89, 0}},  // mov dword, r32
      {true, false, false, 1, {0x89, 0}},   // mov qword, r64
  };
  mem_form(kForms[width_index(width)], src, base, disp);
}

void Emitter::store_imm(int width, int32_t imm, int base, int32_t disp) {
  static constexpr MemForm kForms[] = {
      {false, false, false, 1, {0xc6, 0}},  // mov byte, imm8
      {false, true, false, 1, {0xc7, 0}},   // mov word, imm16
      {false, false, false, 1, {0xc7, 0}},  // mov dword, imm32
      {true, false, false, 1, {0xc7, 0}},   // mov qword, imm32 (sign-extended)
  };
  mem_form(kForms[width_index(width)], 0, base, disp);
  if (width == 1) {
    db(static_cast<uint8_t>(imm));
  } else if (width == 2) {
    dw(static_cast<uint16_t>(imm));
  } else {
    dd(static_cast<uint32_t>(imm));
  }
}

void Emitter::lea_to(int dst, int base, int32_t disp) {
  mem_form({true, false, false, 1, {0x8d, 0}}, dst, base, disp);
}

void Emitter::cmp_mem_imm(int base, int32_t disp, int32_t imm) {
  if (imm >= -128 && imm <= 127) {
    mem_form({true, false, false, 1, {0x83, 0}}, 7, base, disp);  // cmp qword, imm8
    db(static_cast<uint8_t>(imm));
  } else {
    mem_form({true, false, false, 1, {0x81, 0}}, 7, base, disp);  // cmp qword, imm32
    dd(static_cast<uint32_t>(imm));
  }
}

void Emitter::cmp_reg_mem(int reg, int base, int32_t disp) {
  mem_form({true, false, false, 1, {0x3b, 0}}, reg, base, disp);  // cmp r64, qword
}

}  // namespace bpfrt
