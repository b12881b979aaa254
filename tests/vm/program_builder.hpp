// Builds instruction sequences from the opcode table, for tests that sweep every operation of a form.
#pragma once

#include <cstdint>
#include <vector>

#include "bpfrt/isa.hpp"

namespace bpfrt::test {

class ProgramBuilder {
 public:
  // Appends `op` with its discriminating field filled in from the table.
  ProgramBuilder& emit(Op op, int dst = 0, int src = 0, int16_t off = 0, int32_t imm = 0) {
    const OpInfo& info = op_info(op);
    Instruction insn{};
    insn.opcode = info.opcode;
    insn.dst = static_cast<uint8_t>(dst);
    insn.src = static_cast<uint8_t>(src);
    insn.offset = off;
    insn.imm = imm;
    switch (info.disc) {
      case Disc::kOffset:
        insn.offset = static_cast<int16_t>(info.disc_value);
        break;
      case Disc::kImm:
        insn.imm = info.disc_value;
        break;
      case Disc::kSrc:
        insn.src = static_cast<uint8_t>(info.disc_value);
        break;
      case Disc::kNone:
        break;
    }
    insns_.push_back(insn);
    return *this;
  }
  ProgramBuilder& lddw(int dst, uint64_t value) {
    emit(Op::kLddwImm64, dst, 0, 0, static_cast<int32_t>(static_cast<uint32_t>(value)));
    Instruction second{};
    second.imm = static_cast<int32_t>(static_cast<uint32_t>(value >> 32));
    insns_.push_back(second);
    return *this;
  }
  ProgramBuilder& exit() { return emit(Op::kExit); }
  size_t size() const { return insns_.size(); }
  const std::vector<Instruction>& instructions() const { return insns_; }

 private:
  std::vector<Instruction> insns_;
};

}  // namespace bpfrt::test
