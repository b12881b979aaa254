#include "verifier/insn_text.hpp"

#include <fmt/format.h>

namespace bpfrt::verifier {
namespace {

const char* alu_symbol(const OpInfo& info) {
  const bool is_signed = info.disc == Disc::kOffset && info.disc_value == 1;
  switch (info.opcode & 0xf0) {
    case 0x00:
      return "+=";
    case 0x10:
      return "-=";
    case 0x20:
      return "*=";
    case 0x30:
      return is_signed ? "s/=" : "/=";
    case 0x40:
      return "|=";
    case 0x50:
      return "&=";
    case 0x60:
      return "<<=";
    case 0x70:
      return ">>=";
    case 0x90:
      return is_signed ? "s%=" : "%=";
    case 0xa0:
      return "^=";
    case 0xc0:
      return "s>>=";
    default:
      return "=";
  }
}

const char* jmp_symbol(uint8_t opcode) {
  switch (opcode & 0xf0) {
    case 0x10:
      return "==";
    case 0x20:
      return ">";
    case 0x30:
      return ">=";
    case 0x40:
      return "&";
    case 0x50:
      return "!=";
    case 0x60:
      return "s>";
    case 0x70:
      return "s>=";
    case 0xa0:
      return "<";
    case 0xb0:
      return "<=";
    case 0xc0:
      return "s<";
    case 0xd0:
      return "s<=";
    default:
      return "?";
  }
}

std::string mem(const char* sign, int size, int reg, int16_t off) {
  return fmt::format("*({}{} *)(r{} {:+d})", sign, size * 8, reg, off);
}

std::string atomic_text(const OpInfo& info, const Instruction& insn) {
  const bool wide = info.opcode == 0xdb;
  const char r = wide ? 'r' : 'w';
  const std::string where = fmt::format("(u{} *)(r{} {:+d})", wide ? 64 : 32, insn.dst, insn.offset);
  const char* fn = wide ? "atomic64" : "atomic";
  const int op = insn.imm & ~op::kAtomicFetch;
  const bool fetch = (insn.imm & op::kAtomicFetch) != 0;
  if (insn.imm == 0xe1) {
    return fmt::format("{}{} = {}_xchg({}, {}{})", r, insn.src, fn, where, r, insn.src);
  }
  if (insn.imm == 0xf1) {
    return fmt::format("r0 = {}_cmpxchg({}, {}0, {}{})", fn, where, r, r, insn.src);
  }
  const char* name = op == 0x00 ? "add" : op == 0x40 ? "or" : op == 0x50 ? "and" : "xor";
  const char* symbol = op == 0x00 ? "+=" : op == 0x40 ? "|=" : op == 0x50 ? "&=" : "^=";
  if (fetch) {
    return fmt::format("{}{} = {}_fetch_{}({}, {}{})", r, insn.src, fn, name, where, r, insn.src);
  }
  return fmt::format("lock *{} {} {}{}", where, symbol, r, insn.src);
}

std::string lddw_text(const Program& program, size_t index) {
  const Instruction& insn = program[index];
  const int32_t next = program[index + 1].imm;
  switch (static_cast<LddwSrc>(insn.src)) {
    case LddwSrc::kImm64:
      return fmt::format("r{} = {:#x} ll", insn.dst, program.lddw_imm64(index));
    case LddwSrc::kMapFd:
      return fmt::format("r{} = map[fd:{}]", insn.dst, insn.imm);
    case LddwSrc::kMapValue:
      return fmt::format("r{} = map[fd:{}][0]+{}", insn.dst, insn.imm, next);
    case LddwSrc::kMapIdx:
      return fmt::format("r{} = map[idx:{}]", insn.dst, insn.imm);
    case LddwSrc::kMapIdxValue:
      return fmt::format("r{} = map[idx:{}][0]+{}", insn.dst, insn.imm, next);
    case LddwSrc::kBtfId:
      return fmt::format("r{} = btf_id[{}]", insn.dst, insn.imm);
    case LddwSrc::kFunc:
      return fmt::format("r{} = subprog[{:+d}]", insn.dst, insn.imm);
  }
  return "?";
}

}  // namespace

std::string kernel_insn_text(const Program& program, size_t index, const HelperTable* helpers) {
  const OpInfo* info = program.op_at(index);
  if (info == nullptr) {
    return "(second slot of lddw)";
  }
  const Instruction& insn = program[index];
  const bool wide = op::cls(info->opcode) == op::kClsAlu64 || op::cls(info->opcode) == op::kClsJmp;
  const char r = wide ? 'r' : 'w';
  const int size = access_size(*info);
  switch (info->form) {
    case Form::kAluImm:
      return fmt::format("{}{} {} {}", r, insn.dst, alu_symbol(*info), insn.imm);
    case Form::kAluReg:
      if (info->disc == Disc::kOffset && (info->opcode & 0xf0) == 0xb0 && insn.offset != 0) {
        return fmt::format("{}{} = (s{}){}{}", r, insn.dst, insn.offset, r, insn.src);
      }
      return fmt::format("{}{} {} {}{}", r, insn.dst, alu_symbol(*info), r, insn.src);
    case Form::kAluUnary:
      return fmt::format("{}{} = -{}{}", r, insn.dst, r, insn.dst);
    case Form::kEndian: {
      const char* kind = info->opcode == 0xd7 ? "bswap" : info->opcode == 0xdc ? "be" : "le";
      return fmt::format("r{} = {}{} r{}", insn.dst, kind, insn.imm, insn.dst);
    }
    case Form::kLoad: {
      const bool sign_extend = (info->opcode & 0xe0) == 0x80;
      return fmt::format("r{} = {}", insn.dst, mem(sign_extend ? "s" : "u", size, insn.src, insn.offset));
    }
    case Form::kStoreImm:
      return fmt::format("{} = {}", mem("u", size, insn.dst, insn.offset), insn.imm);
    case Form::kStoreReg:
      return fmt::format("{} = r{}", mem("u", size, insn.dst, insn.offset), insn.src);
    case Form::kAtomic:
      return atomic_text(*info, insn);
    case Form::kLddw:
      return lddw_text(program, index);
    case Form::kLdAbs:
      return fmt::format("r0 = *(u{} *)skb[{}]", size * 8, insn.imm);
    case Form::kLdInd:
      return fmt::format("r0 = *(u{} *)skb[r{} + {}]", size * 8, insn.src, insn.imm);
    case Form::kJa:
      return fmt::format("goto pc{:+d}", insn.offset);
    case Form::kJa32:
      return fmt::format("gotol pc{:+d}", insn.imm);
    case Form::kJmpImm:
      return fmt::format("if {}{} {} {:#x} goto pc{:+d}", r, insn.dst, jmp_symbol(info->opcode),
                         static_cast<uint32_t>(insn.imm), insn.offset);
    case Form::kJmpReg:
      return fmt::format("if {}{} {} {}{} goto pc{:+d}", r, insn.dst, jmp_symbol(info->opcode), r, insn.src,
                         insn.offset);
    case Form::kCallHelper: {
      const HelperEntry* entry = helpers != nullptr ? helpers->find(insn.imm) : nullptr;
      return entry != nullptr ? fmt::format("call {}#{}", entry->name, insn.imm)
                              : fmt::format("call unknown#{}", insn.imm);
    }
    case Form::kCallLocal:
      return fmt::format("call pc{:+d}", insn.imm);
    case Form::kCallKfunc:
      return fmt::format("call kernel-function#{}", insn.imm);
    case Form::kCallx:
      return fmt::format("callx r{}", insn.dst);
    case Form::kExit:
      return "exit";
  }
  return "?";
}

std::string kernel_insn_line(const Program& program, size_t index, const HelperTable* helpers) {
  return fmt::format("{}: ({:02x}) {}", index, program[index].opcode, kernel_insn_text(program, index, helpers));
}

}  // namespace bpfrt::verifier
