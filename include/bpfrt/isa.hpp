// Programs as validated instruction sequences, and the textual forms of eBPF: assembly in and out.
//
// A Program is only ever built by strict validation (Program::decode / Program::from_instructions):
// known operations, reserved fields zero, registers r0-r10, r10 never written, jumps and local calls
// inside the program and never into the second slot of an lddw, and no path that runs off the end.
// Every error names the instruction index. The assembly syntax is that of the bpf_conformance suite
// (`add32 %r0, 1`, `ldxdw %r0, [%r1+8]`, `lock fetch add [%r10-8], %r1`, `call local fn`, labels).
// Thread-safety: Program is immutable after construction; the free functions are pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bpfrt/opcodes.hpp"
#include "bpfrt/result.hpp"

namespace bpfrt {

class Program {
 public:
  // Validates raw little-endian bytecode (a multiple of 8 bytes).
  static Result<Program> decode(std::span<const uint8_t> bytes);
  // Validates an instruction sequence.
  static Result<Program> from_instructions(std::vector<Instruction> insns);

  size_t size() const { return insns_.size(); }  // in 8-byte slots
  std::span<const Instruction> instructions() const { return insns_; }
  const Instruction& operator[](size_t i) const { return insns_[i]; }
  // The operation starting at slot i; nullptr for the second slot of an lddw.
  const OpInfo* op_at(size_t i) const { return ops_[i]; }
  // The full 64-bit immediate of the lddw starting at slot i.
  uint64_t lddw_imm64(size_t i) const;
  std::vector<uint8_t> bytes() const;

 private:
  Program(std::vector<Instruction> insns, std::vector<const OpInfo*> ops)
      : insns_(std::move(insns)), ops_(std::move(ops)) {}

  std::vector<Instruction> insns_;
  std::vector<const OpInfo*> ops_;
};

// Checks one instruction slot on its own (operation known, reserved fields zero, registers valid).
// `index` is only used in the message.
Result<const OpInfo*> validate_instruction(const Instruction& insn, size_t index);

// Assembles text to instruction slots. Errors name the line and the problem.
Result<std::vector<Instruction>> assemble(std::string_view text);

// Assembles and validates in one step.
Result<Program> assemble_program(std::string_view text);

struct DisasmOptions {
  bool indices = false;  // prefix each line with the slot index, as in a verifier log
};

// Disassembles the instruction at `index` of `program`.
std::string disassemble_one(const Program& program, size_t index);

// Disassembles a whole program, one instruction per line. Assembling the output yields the same bytes.
std::string disassemble(const Program& program, const DisasmOptions& options = {});

}  // namespace bpfrt
