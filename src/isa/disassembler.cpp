// Disassembler: one line per instruction in the assembler's syntax, so that text round-trips to bytes.
#include <fmt/format.h>

#include "bpfrt/isa.hpp"

#include "isa/asm_syntax.hpp"

namespace bpfrt {
namespace {

using asm_syntax::format_offset;
using asm_syntax::format_register;

std::string memory_operand(int base, int16_t offset) {
  return offset == 0 ? fmt::format("[{}]", format_register(base))
                     : fmt::format("[{}{}]", format_register(base), format_offset(offset));
}

std::string lddw_operand(const Program& program, size_t index) {
  const Instruction& insn = program[index];
  const auto src = static_cast<LddwSrc>(insn.src);
  const int32_t next_imm = program[index + 1].imm;
  switch (src) {
    case LddwSrc::kImm64:
      return fmt::format("0x{:x}", program.lddw_imm64(index));
    case LddwSrc::kMapValue:
    case LddwSrc::kMapIdxValue:
      return fmt::format("{}({}, {})", asm_syntax::lddw_keyword(src), insn.imm, next_imm);
    case LddwSrc::kFunc:
      return fmt::format("func({})", format_offset(insn.imm));
    default:
      return fmt::format("{}({})", asm_syntax::lddw_keyword(src), insn.imm);
  }
}

}  // namespace

std::string disassemble_one(const Program& program, size_t index) {
  const OpInfo* info = program.op_at(index);
  if (info == nullptr) {
    return "(second slot of lddw)";
  }
  const Instruction& insn = program[index];
  const std::string_view mn = info->mnemonic;
  const std::string dst = format_register(insn.dst);
  const std::string src = format_register(insn.src);
  switch (info->form) {
    case Form::kAluImm:
      return fmt::format("{} {}, {}", mn, dst, insn.imm);
    case Form::kAluReg:
      return fmt::format("{} {}, {}", mn, dst, src);
    case Form::kAluUnary:
    case Form::kEndian:
      return fmt::format("{} {}", mn, dst);
    case Form::kLoad:
      return fmt::format("{} {}, {}", mn, dst, memory_operand(insn.src, insn.offset));
    case Form::kStoreImm:
      return fmt::format("{} {}, {}", mn, memory_operand(insn.dst, insn.offset), insn.imm);
    case Form::kStoreReg:
    case Form::kAtomic:
      return fmt::format("{} {}, {}", mn, memory_operand(insn.dst, insn.offset), src);
    case Form::kLddw:
      return fmt::format("lddw {}, {}", dst, lddw_operand(program, index));
    case Form::kLdAbs:
      return fmt::format("{} {}", mn, insn.imm);
    case Form::kLdInd:
      return fmt::format("{} {}, {}", mn, src, insn.imm);
    case Form::kJa:
      return fmt::format("ja {}", format_offset(insn.offset));
    case Form::kJa32:
      return fmt::format("ja32 {}", format_offset(insn.imm));
    case Form::kJmpImm:
      return fmt::format("{} {}, {}, {}", mn, dst, insn.imm, format_offset(insn.offset));
    case Form::kJmpReg:
      return fmt::format("{} {}, {}, {}", mn, dst, src, format_offset(insn.offset));
    case Form::kCallHelper:
      return fmt::format("call {}", insn.imm);
    case Form::kCallLocal:
      return fmt::format("call local {}", format_offset(insn.imm));
    case Form::kCallKfunc:
      return insn.offset == 0 ? fmt::format("call kfunc {}", insn.imm)
                              : fmt::format("call kfunc {}, {}", insn.imm, insn.offset);
    case Form::kCallx:
      return fmt::format("call {}", dst);
    case Form::kExit:
      return "exit";
  }
  return "(unknown)";
}

std::string disassemble(const Program& program, const DisasmOptions& options) {
  std::string out;
  for (size_t i = 0; i < program.size(); ++i) {
    if (program.op_at(i) == nullptr) {
      continue;
    }
    if (options.indices) {
      out += fmt::format("{:>4}: ", i);
    }
    out += disassemble_one(program, i);
    out += '\n';
  }
  return out;
}

}  // namespace bpfrt
