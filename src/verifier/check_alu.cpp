// ALU instructions: scalar arithmetic through the bounds domain, moves (with linked-scalar ids), and
// pointer arithmetic, which is only allowed where the result stays a tracked offset into a region.
#include <fmt/format.h>

#include "verifier/verifier_env.hpp"

namespace bpfrt::verifier {
namespace {

// Offsets beyond this are refused outright, as in the kernel (BPF_MAX_VAR_OFF).
constexpr int64_t kMaxVarOff = int64_t{1} << 29;

AluOp alu_op(const OpInfo& info) {
  const bool is_signed = info.disc == Disc::kOffset && info.disc_value == 1;
  switch (info.opcode & 0xf0) {
    case 0x00:
      return AluOp::kAdd;
    case 0x10:
      return AluOp::kSub;
    case 0x20:
      return AluOp::kMul;
    case 0x30:
      return is_signed ? AluOp::kSdiv : AluOp::kDiv;
    case 0x40:
      return AluOp::kOr;
    case 0x50:
      return AluOp::kAnd;
    case 0x60:
      return AluOp::kLsh;
    case 0x70:
      return AluOp::kRsh;
    case 0x80:
      return AluOp::kNeg;
    case 0x90:
      return is_signed ? AluOp::kSmod : AluOp::kMod;
    case 0xa0:
      return AluOp::kXor;
    case 0xc0:
      return AluOp::kArsh;
    default:
      return AluOp::kMov;
  }
}

const char* alu_op_symbol(AluOp op) {
  switch (op) {
    case AluOp::kAdd:
      return "+=";
    case AluOp::kSub:
      return "-=";
    case AluOp::kMul:
      return "*=";
    case AluOp::kDiv:
      return "/=";
    case AluOp::kSdiv:
      return "s/=";
    case AluOp::kMod:
      return "%=";
    case AluOp::kSmod:
      return "s%=";
    case AluOp::kOr:
      return "|=";
    case AluOp::kAnd:
      return "&=";
    case AluOp::kXor:
      return "^=";
    case AluOp::kLsh:
      return "<<=";
    case AluOp::kRsh:
      return ">>=";
    case AluOp::kArsh:
      return "s>>=";
    case AluOp::kMov:
      return "=";
    case AluOp::kNeg:
      return "neg";
  }
  return "?";
}

bool is_64(const OpInfo& info) {
  return op::cls(info.opcode) == op::kClsAlu64;
}

}  // namespace

Status Verifier::check_alu(const OpInfo& info, const Instruction& insn) {
  const bool wide = is_64(info);
  if (info.form == Form::kEndian) {
    BPFRT_TRY(check_reg_read(insn.dst));
    RegState& dst = cur_.reg(insn.dst);
    if (dst.is_pointer()) {
      if (!allow_ptr_leaks()) {
        return refuse(fmt::format("R{} pointer arithmetic prohibited", insn.dst));
      }
      dst = RegState::unknown();
      return {};
    }
    const auto bytes = static_cast<unsigned>(insn.imm) / 8;
    const bool swaps = info.opcode == 0xd7 || info.opcode == 0xdc;  // bswap, be (this host is little-endian)
    dst = RegState::scalar(swaps ? scalar_bswap(dst.var, bytes) : scalar_truncate(dst.var, bytes));
    return {};
  }
  if (info.form == Form::kAluUnary) {
    BPFRT_TRY(check_reg_read(insn.dst));
    RegState& dst = cur_.reg(insn.dst);
    if (dst.is_pointer()) {
      if (!allow_ptr_leaks()) {
        return refuse(fmt::format("R{} pointer arithmetic prohibited", insn.dst));
      }
      dst = RegState::unknown();
      return {};
    }
    dst = RegState::scalar(scalar_alu(AluOp::kNeg, dst.var, Scalar::constant(0), !wide));
    return {};
  }
  const AluOp op = alu_op(info);
  if (op == AluOp::kMov) {
    return check_mov(info, insn);
  }

  // The kernel refuses immediates whose result it leaves undefined; RFC 9669 defines them all.
  const bool imm_form = info.form == Form::kAluImm;
  if (imm_form && type_.kernel_isa) {
    const int width = wide ? 64 : 32;
    if ((op == AluOp::kLsh || op == AluOp::kRsh || op == AluOp::kArsh) && (insn.imm < 0 || insn.imm >= width)) {
      return refuse(fmt::format("invalid shift {}", insn.imm));
    }
    if ((op == AluOp::kDiv || op == AluOp::kMod || op == AluOp::kSdiv || op == AluOp::kSmod) && insn.imm == 0) {
      return refuse("div by zero");
    }
  }

  RegState src;
  if (imm_form) {
    src = RegState::constant(static_cast<uint64_t>(static_cast<int64_t>(insn.imm)));
  } else {
    BPFRT_TRY(check_reg_read(insn.src));
    src = cur_.reg(insn.src);
  }
  BPFRT_TRY(check_reg_read(insn.dst));
  RegState& dst = cur_.reg(insn.dst);

  if (dst.type == RegType::kScalar && src.type == RegType::kScalar) {
    dst = RegState::scalar(scalar_alu(op, dst.var, src.var, !wide));
    return {};
  }
  // At least one pointer.
  if (dst.is_pointer() && src.is_pointer()) {
    if (op == AluOp::kSub && wide && allow_ptr_leaks()) {
      dst = RegState::unknown();  // the distance between two pointers is just a number
      return {};
    }
    return refuse(fmt::format("R{} pointer {} pointer prohibited", insn.dst, alu_op_symbol(op)));
  }
  if (!wide) {
    if (op == AluOp::kSub && allow_ptr_leaks()) {
      dst = RegState::zero_extended_unknown();
      return {};
    }
    return refuse(fmt::format("R{} 32-bit pointer arithmetic prohibited", insn.dst));
  }
  if (dst.is_pointer()) {
    if (!imm_form) {
      mark_precise(insn.src);  // the pointer's new offset depends on this value
    }
    const RegState ptr = dst;
    return check_pointer_alu(info, insn, dst, ptr, src, true);
  }
  // scalar OP pointer
  if (op != AluOp::kAdd) {
    if (op == AluOp::kSub) {
      return refuse(fmt::format("R{} tried to subtract pointer from scalar", insn.dst));
    }
    return refuse(fmt::format("R{} pointer arithmetic with {} operator prohibited", insn.dst, alu_op_symbol(op)));
  }
  mark_precise(insn.dst);
  const RegState scalar = cur_.reg(insn.dst);
  return check_pointer_alu(info, insn, cur_.reg(insn.dst), src, scalar, false);
}

Status Verifier::check_mov(const OpInfo& info, const Instruction& insn) {
  const bool wide = is_64(info);
  RegState& dst = cur_.reg(insn.dst);
  if (info.form == Form::kAluImm) {
    dst = RegState::constant(wide ? static_cast<uint64_t>(static_cast<int64_t>(insn.imm))
                                  : static_cast<uint64_t>(static_cast<uint32_t>(insn.imm)));
    return {};
  }
  BPFRT_TRY(check_reg_read(insn.src));
  RegState& src = cur_.reg(insn.src);
  const int extend_bits = insn.offset;  // movsx: 8, 16 or 32
  if (src.is_pointer()) {
    if (wide && extend_bits == 0) {
      dst = src;  // a copy of the pointer, sharing its ids
      return {};
    }
    if (!allow_ptr_leaks()) {
      return refuse(extend_bits != 0 ? fmt::format("R{} sign-extension of pointer prohibited", insn.src)
                                     : fmt::format("R{} partial copy of pointer", insn.src));
    }
    dst = wide ? RegState::unknown() : RegState::zero_extended_unknown();
    return {};
  }
  if (extend_bits != 0) {
    const auto bytes = static_cast<unsigned>(extend_bits) / 8;
    dst = RegState::scalar(wide ? scalar_sign_extend(src.var, bytes) : scalar_sign_extend_32(src.var, bytes));
    return {};
  }
  if (!wide) {
    dst = RegState::scalar(scalar_alu(AluOp::kMov, Scalar::unknown(), src.var, true));
    return {};
  }
  // r_dst = r_src: link the two so that a later bounds check on one narrows both.
  if (src.id == 0 && !src.var.is_const()) {
    src.id = new_id();
  }
  dst = src;
  return {};
}

Status Verifier::check_pointer_alu(const OpInfo& info, const Instruction& insn, RegState& dst, const RegState& ptr,
                                   const RegState& off, bool ptr_is_dst) {
  const AluOp op = alu_op(info);
  const char* type_name = reg_type_name(ptr.type, ptr.maybe_null);
  if (ptr.maybe_null) {
    return refuse(fmt::format("R{} pointer arithmetic on {} prohibited, null-check it first", insn.dst, type_name));
  }
  switch (ptr.type) {
    case RegType::kCtx:
    case RegType::kStack:
    case RegType::kMapValue:
    case RegType::kMapKey:
    case RegType::kPacket:
    case RegType::kPacketMeta:
    case RegType::kMem:
      break;
    case RegType::kMapPtr:
      if (off.is_const_scalar() && off.var.const_value() == 0 && op == AluOp::kAdd) {
        dst = ptr;  // map + 0
        return {};
      }
      [[fallthrough]];
    default:
      return refuse(fmt::format("R{} pointer arithmetic on {} prohibited", insn.dst, type_name));
  }
  if (op == AluOp::kAnd || op == AluOp::kOr || op == AluOp::kXor) {
    return refuse(fmt::format("R{} bitwise operator {} on pointer prohibited", insn.dst, alu_op_symbol(op)));
  }
  if (op != AluOp::kAdd && op != AluOp::kSub) {
    return refuse(fmt::format("R{} pointer arithmetic with {} operator prohibited", insn.dst, alu_op_symbol(op)));
  }
  if (op == AluOp::kSub && ptr.type == RegType::kStack && type_.kernel_isa) {
    return refuse(fmt::format("R{} subtraction from stack pointer prohibited", insn.dst));
  }
  if (!ptr_is_dst && op != AluOp::kAdd) {
    return refuse(fmt::format("R{} tried to subtract pointer from scalar", insn.dst));
  }
  // Offsets must stay small enough that no sum can wrap (check_reg_sane_offset).
  const Scalar& v = off.var;
  if (v.is_const()) {
    const auto value = static_cast<int64_t>(v.const_value());
    if (value >= kMaxVarOff || value <= -kMaxVarOff) {
      return refuse(fmt::format("math between {} pointer and {} is not allowed", type_name, value));
    }
  } else {
    if (v.r64.smin == INT64_MIN) {
      return refuse(
          fmt::format("math between {} pointer and register with unbounded min value is not allowed", type_name));
    }
    if (v.r64.smin >= kMaxVarOff || v.r64.smin <= -kMaxVarOff) {
      return refuse(fmt::format("value {} makes {} pointer be out of bounds", v.r64.smin, type_name));
    }
  }
  if (ptr.off >= kMaxVarOff || ptr.off <= -kMaxVarOff) {
    return refuse(fmt::format("{} pointer offset {} is not allowed", type_name, ptr.off));
  }
  if (ptr.var.r64.smin == INT64_MIN) {
    return refuse(
        fmt::format("math between {} pointer and register with unbounded min value is not allowed", type_name));
  }

  RegState result = ptr;
  if (v.is_const()) {
    const auto value = static_cast<int64_t>(v.const_value());
    const int64_t new_off = op == AluOp::kAdd ? ptr.off + value : ptr.off - value;
    result.off = static_cast<int32_t>(new_off);  // |new_off| < 2^30 by the checks above
    result.end_mark = value == 0 ? ptr.end_mark : PktEndMark::kNone;
    dst = result;
    return {};
  }
  // A variable offset: accumulate it in `var`; packet pointers lose their proven range and get a fresh
  // id, since other pointers sharing the old id no longer have the same variable part.
  result.var = scalar_alu(op, ptr.var, v, false);
  if (result.is_packet()) {
    result.id = new_id();
    result.range = 0;
  }
  result.end_mark = PktEndMark::kNone;
  dst = result;
  return {};
}

}  // namespace bpfrt::verifier
