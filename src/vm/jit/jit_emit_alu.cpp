// Arithmetic, logic, shifts, division and modulo, sign extension, byte order and lddw. 32-bit
// operations write 32-bit registers, which x86-64 zero-extends, matching BPF's ALU32 semantics.
#include <bit>

#include "vm/jit/jit_emitter.hpp"

namespace bpfrt {
namespace {

bool is_signed_div(DivOp op) {
  return op == DivOp::kSdiv || op == DivOp::kSmod;
}

bool wants_remainder(DivOp op) {
  return op == DivOp::kMod || op == DivOp::kSmod;
}

}  // namespace

void Emitter::emit_alu(const Insn& in, uint8_t arg) {
  const auto op = static_cast<AluOp>(arg);
  const bool is64 = !is_alu32(in.info);
  const Xbyak::Reg64& d64 = reg(in.raw.dst);
  const Xbyak::Reg d = is64 ? Xbyak::Reg(d64) : Xbyak::Reg(d64.cvt32());
  if (op == AluOp::kNeg) {
    neg(d);  // neg dst
    return;
  }
  if (op == AluOp::kLsh || op == AluOp::kRsh || op == AluOp::kArsh) {
    if (in.info.form == Form::kAluReg) {
      shift_by_register(in, op, is64);
      return;
    }
    const int count = in.raw.imm & (is64 ? 63 : 31);  // the count is masked to the operand width
    if (count == 0) {
      if (!is64) {
        mov(d, d);  // mov dst32, dst32: still zero-extends
      }
      return;
    }
    op == AluOp::kLsh ? shl(d, count) : op == AluOp::kRsh ? shr(d, count) : sar(d, count);
    return;
  }
  if (in.info.form == Form::kAluImm) {
    const int32_t k = in.raw.imm;  // sign-extended to 64 bits by the CPU for 64-bit operations
    switch (op) {
      case AluOp::kAdd:
        if (k != 0 || !is64) {
          alu_ri(0, is64, d64.getIdx(), k);  // add dst, imm
        }
        return;
      case AluOp::kSub:
        alu_ri(5, is64, d64.getIdx(), k);
        return;
      case AluOp::kAnd:
        alu_ri(4, is64, d64.getIdx(), k);
        return;
      case AluOp::kOr:
        alu_ri(1, is64, d64.getIdx(), k);
        return;
      case AluOp::kXor:
        alu_ri(6, is64, d64.getIdx(), k);
        return;
      case AluOp::kMul:
        imul(d, d, k);  // imul dst, dst, imm
        return;
      case AluOp::kMov:
        if (k == 0) {
          alu_rr(0x31, false, d64.getIdx(), d64.getIdx());  // xor dst32, dst32 (no flags live across instructions)
        } else if (is64) {
          mov(d64, static_cast<uint64_t>(static_cast<int64_t>(k)));
        } else {
          mov(d64.cvt32(), static_cast<uint32_t>(k));
        }
        return;
      default:
        break;
    }
  } else {
    const Xbyak::Reg64& s64 = reg(in.raw.src);
    const Xbyak::Reg s = is64 ? Xbyak::Reg(s64) : Xbyak::Reg(s64.cvt32());
    switch (op) {
      case AluOp::kAdd:
        alu_rr(0x01, is64, d64.getIdx(), s64.getIdx());  // add dst, src
        return;
      case AluOp::kSub:
        alu_rr(0x29, is64, d64.getIdx(), s64.getIdx());
        return;
      case AluOp::kAnd:
        alu_rr(0x21, is64, d64.getIdx(), s64.getIdx());
        return;
      case AluOp::kOr:
        alu_rr(0x09, is64, d64.getIdx(), s64.getIdx());
        return;
      case AluOp::kXor:
        alu_rr(0x31, is64, d64.getIdx(), s64.getIdx());
        return;
      case AluOp::kMul:
        imul(d, s);
        return;
      case AluOp::kMov:
        alu_rr(0x89, is64, d64.getIdx(), s64.getIdx());  // mov32 of a register onto itself still clears the upper half
        return;
      default:
        break;
    }
  }
  throw std::logic_error("JIT: ALU operation without an emitter");
}

// shlx/shrx/sarx dst, dst, src -- the hardware masks the count exactly as BPF does. Without BMI2 the
// count must sit in cl, which is BPF r4: park r4 in r11 around the shift.
void Emitter::shift_by_register(const Insn& in, AluOp op, bool is64) {
  const Xbyak::Reg64& d64 = reg(in.raw.dst);
  const Xbyak::Reg64& s64 = reg(in.raw.src);
  if (copts_.use_bmi2) {
    const Xbyak::Reg32e d = is64 ? Xbyak::Reg32e(d64) : Xbyak::Reg32e(d64.cvt32());
    const Xbyak::Reg32e s = is64 ? Xbyak::Reg32e(s64) : Xbyak::Reg32e(s64.cvt32());
    op == AluOp::kLsh ? shlx(d, d, s) : op == AluOp::kRsh ? shrx(d, d, s) : sarx(d, d, s);
    return;
  }
  auto shift_cl = [&](const Xbyak::Reg64& target) {
    const Xbyak::Reg t = is64 ? Xbyak::Reg(target) : Xbyak::Reg(target.cvt32());
    if (!is64) {
      mov(t, t);  // a count of 0 leaves the register alone: zero-extend first
    }
    op == AluOp::kLsh ? shl(t, cl) : op == AluOp::kRsh ? shr(t, cl) : sar(t, cl);
  };
  if (in.raw.src == 4) {
    shift_cl(d64);
    return;
  }
  // mov r11, rcx; mov ecx, src32; shl (dst or r11), cl; mov rcx, r11
  mov(r11, rcx);
  mov(ecx, s64.cvt32());
  shift_cl(in.raw.dst == 4 ? r11 : d64);
  mov(rcx, r11);  // r4's old value, or the result when r4 was the destination
}

void Emitter::emit_div(const Insn& in, uint8_t arg) {
  const auto op = static_cast<DivOp>(arg);
  const bool is64 = !is_alu32(in.info);
  if (in.info.form == Form::kAluImm) {
    divide_by_constant(in, op, is64);
    return;
  }
  const Xbyak::Reg64& d64 = reg(in.raw.dst);
  const Xbyak::Reg64& s64 = reg(in.raw.src);
  const Xbyak::Reg divisor = is64 ? Xbyak::Reg(r11) : Xbyak::Reg(r11d);
  Xbyak::Label by_zero;
  Xbyak::Label by_minus_one;
  Xbyak::Label done;
  // mov r11, src; test r11, r11; jz by_zero; [cmp r11, -1; je by_minus_one]
  mov(divisor, is64 ? Xbyak::Reg(s64) : Xbyak::Reg(s64.cvt32()));
  test(divisor, divisor);
  jz(by_zero);
  if (is_signed_div(op)) {
    cmp(divisor, -1);  // INT_MIN / -1 traps in idiv
    je(by_minus_one);
  }
  divide(in, op, is64, divisor);
  jmp(done);
  L(by_zero);
  if (!wants_remainder(op)) {
    xor_(d64.cvt32(), d64.cvt32());  // x / 0 = 0
  } else if (!is64) {
    mov(d64.cvt32(), d64.cvt32());  // x % 0 = x
  }
  if (is_signed_div(op)) {
    jmp(done);
    L(by_minus_one);
    if (op == DivOp::kSdiv) {
      is64 ? neg(d64) : neg(d64.cvt32());  // x / -1 = -x, wrapping
    } else {
      xor_(d64.cvt32(), d64.cvt32());  // x % -1 = 0
    }
  }
  L(done);
}

// Division by an immediate: the special divisors (0, -1, powers of two) are settled here.
void Emitter::divide_by_constant(const Insn& in, DivOp op, bool is64) {
  const Xbyak::Reg64& d64 = reg(in.raw.dst);
  const Xbyak::Reg d = is64 ? Xbyak::Reg(d64) : Xbyak::Reg(d64.cvt32());
  const uint64_t rhs =
      is64 ? static_cast<uint64_t>(static_cast<int64_t>(in.raw.imm)) : static_cast<uint32_t>(in.raw.imm);
  if (rhs == 0) {
    if (!wants_remainder(op)) {
      xor_(d64.cvt32(), d64.cvt32());
    } else if (!is64) {
      mov(d, d);
    }
    return;
  }
  if (is_signed_div(op) && in.raw.imm == -1) {
    op == DivOp::kSdiv ? neg(d) : xor_(d64.cvt32(), d64.cvt32());
    return;
  }
  if (!is_signed_div(op) && std::has_single_bit(rhs)) {
    const int shift = std::countr_zero(rhs);
    if (op == DivOp::kMod) {
      and_(d, static_cast<uint32_t>(rhs - 1));  // and dst, rhs-1 (rhs <= 2^31, so the mask fits)
    } else if (shift != 0) {
      shr(d, shift);
    } else if (!is64) {
      mov(d, d);
    }
    return;
  }
  if (is64) {
    mov(r11, rhs);
    divide(in, op, true, r11);
  } else {
    mov(r11d, static_cast<uint32_t>(rhs));
    divide(in, op, false, r11d);
  }
}

// dst = dst (op) divisor for a divisor known to be neither 0 nor -1. x86 divides rdx:rax, which hold
// BPF r3 and r0: they are parked in r10 and r9 around the division.
void Emitter::divide(const Insn& in, DivOp op, bool is64, const Xbyak::Reg& divisor) {
  const int dst = in.raw.dst;
  const Xbyak::Reg64& d64 = reg(dst);
  mov(r9, rax);
  mov(r10, rdx);
  if (is64) {
    if (dst != 0) {
      mov(rax, d64);
    }
  } else {
    mov(eax, d64.cvt32());
  }
  if (is_signed_div(op)) {
    is64 ? cqo() : cdq();
    idiv(divisor);
  } else {
    xor_(edx, edx);
    div(divisor);
  }
  const bool rem = wants_remainder(op);
  auto move = [&](const Xbyak::Reg64& to, const Xbyak::Reg64& from) {
    is64 ? mov(to, from) : mov(to.cvt32(), from.cvt32());
  };
  if (dst == 0) {
    if (rem) {
      move(rax, rdx);
    }
    mov(rdx, r10);
  } else if (dst == 3) {
    if (!rem) {
      move(rdx, rax);
    }
    mov(rax, r9);
  } else {
    move(d64, rem ? rdx : rax);
    mov(rax, r9);
    mov(rdx, r10);
  }
}

void Emitter::emit_movsx(const Insn& in, uint8_t bits) {
  const Xbyak::Reg64& d64 = reg(in.raw.dst);
  const Xbyak::Reg64& s64 = reg(in.raw.src);
  const bool is64 = !is_alu32(in.info);
  const Xbyak::Reg d = is64 ? Xbyak::Reg(d64) : Xbyak::Reg(d64.cvt32());
  if (bits == 8) {
    movsx(d, s64.cvt8());  // movsx dst, src8
  } else if (bits == 16) {
    movsx(d, s64.cvt16());
  } else {
    movsxd(d64, s64.cvt32());
  }
}

void Emitter::emit_endian(const Insn& in, uint8_t arg) {
  const Xbyak::Reg64& d = reg(in.raw.dst);
  const int bits = in.raw.imm;
  if (static_cast<EndianOp>(arg) == EndianOp::kLe) {
    // This host is little-endian: le only truncates.
    if (bits == 16) {
      movzx(d.cvt32(), d.cvt16());
    } else if (bits == 32) {
      mov(d.cvt32(), d.cvt32());
    }
    return;
  }
  if (bits == 16) {
    ror(d.cvt16(), 8);  // ror dst16, 8; movzx dst32, dst16
    movzx(d.cvt32(), d.cvt16());
  } else if (bits == 32) {
    bswap(d.cvt32());
  } else {
    bswap(d);
  }
}

void Emitter::emit_lddw(const Insn& in, uint8_t /*arg*/) {
  mov(reg(in.raw.dst), input_.lddw_values[in.index]);  // mov dst, imm64 (shortest encoding)
}

}  // namespace bpfrt
