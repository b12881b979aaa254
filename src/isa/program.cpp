// Strict validation of instruction slots and whole programs.
#include <cstring>

#include <fmt/format.h>

#include "bpfrt/isa.hpp"

#include "isa/asm_syntax.hpp"

namespace bpfrt {
namespace {

enum Field : uint8_t { kDst = 1, kSrc = 2, kOff = 4, kImm = 8 };

// Fields an operation of each form leaves unused; they must be zero.
uint8_t unused_fields(Form form) {
  switch (form) {
    case Form::kAluImm:
      return kSrc;
    case Form::kAluReg:
      return kImm;
    case Form::kAluUnary:
      return kSrc | kImm;
    case Form::kEndian:
      return kSrc | kOff;
    case Form::kLoad:
      return kImm;
    case Form::kStoreImm:
      return kSrc;
    case Form::kStoreReg:
      return kImm;
    case Form::kAtomic:
      return 0;
    case Form::kLddw:
      return kOff;
    case Form::kLdAbs:
      return kDst | kSrc | kOff;
    case Form::kLdInd:
      return kDst | kOff;
    case Form::kJa:
      return kDst | kSrc | kImm;
    case Form::kJa32:
      return kDst | kSrc | kOff;
    case Form::kJmpImm:
      return kSrc;
    case Form::kJmpReg:
      return kImm;
    case Form::kCallHelper:
    case Form::kCallLocal:
      return kDst | kOff;
    case Form::kCallKfunc:  // the offset selects a module BTF for kfuncs
      return kDst;
    case Form::kCallx:
      return kSrc | kOff | kImm;
    case Form::kExit:
      return kDst | kSrc | kOff | kImm;
  }
  return 0;
}

bool writes_dst(Form form) {
  switch (form) {
    case Form::kAluImm:
    case Form::kAluReg:
    case Form::kAluUnary:
    case Form::kEndian:
    case Form::kLoad:
    case Form::kLddw:
      return true;
    default:
      return false;
  }
}

// Atomic operations with the fetch flag load the old value into src (cmpxchg into r0).
bool writes_src(const OpInfo& info, const Instruction& insn) {
  return info.form == Form::kAtomic && (insn.imm & op::kAtomicFetch) != 0 && info.id != Op::kAtomicCmpxchg64 &&
         info.id != Op::kAtomicCmpxchg32;
}

// Distinguishes operations that share a mnemonic (the call kinds, the lddw sources).
std::string variant_name(const OpInfo& info) {
  switch (info.form) {
    case Form::kCallHelper:
      return "call helper";
    case Form::kCallLocal:
      return "call local";
    case Form::kCallKfunc:
      return "call kfunc";
    case Form::kLddw:
      return info.disc_value == 0
                 ? "lddw imm64"
                 : fmt::format("lddw {}", asm_syntax::lddw_keyword(static_cast<LddwSrc>(info.disc_value)));
    default:
      return std::string(info.mnemonic);
  }
}

Error insn_error(size_t index, const Instruction& insn, std::string_view what) {
  return make_error(ErrorCode::kInvalidArgument,
                    fmt::format("instruction {} (opcode 0x{:02x}): {}", index, insn.opcode, what), index);
}

// The slot a jump or local call at `index` lands on, or an error.
Result<size_t> branch_target(const std::vector<Instruction>& insns, const std::vector<const OpInfo*>& ops, size_t index,
                             int64_t delta, std::string_view what = "jump") {
  const int64_t target = static_cast<int64_t>(index) + 1 + delta;
  if (target < 0 || target >= static_cast<int64_t>(insns.size())) {
    return insn_error(index, insns[index],
                      fmt::format("{} target {} is outside the program (0..{})", what, target, insns.size() - 1));
  }
  if (ops[static_cast<size_t>(target)] == nullptr) {
    return insn_error(index, insns[index], fmt::format("{} target {} is the second slot of an lddw", what, target));
  }
  return static_cast<size_t>(target);
}

}  // namespace

Result<const OpInfo*> validate_instruction(const Instruction& insn, size_t index) {
  const OpInfo* info = find_op(insn);
  if (info == nullptr) {
    if (!opcode_exists(insn.opcode)) {
      return insn_error(index, insn, "unknown opcode");
    }
    // Name the discriminating field and the values it may take: "offset must be 0 (add) or 1 (sdiv)".
    const auto variants = ops_with_opcode(insn.opcode);
    const Disc disc = variants.front()->disc;
    const char* field = disc == Disc::kOffset ? "offset" : disc == Disc::kImm ? "immediate" : "source register";
    const int32_t actual = disc == Disc::kOffset ? insn.offset : disc == Disc::kImm ? insn.imm : insn.src;
    std::string allowed;
    for (size_t i = 0; i < variants.size(); ++i) {
      allowed += fmt::format("{}{} ({})",
                             i == 0                     ? ""
                             : i + 1 == variants.size() ? " or "
                                                        : ", ",
                             variants[i]->disc_value, variant_name(*variants[i]));
    }
    return insn_error(index, insn, fmt::format("{} is {}, must be {}", field, actual, allowed));
  }
  const uint8_t unused = unused_fields(info->form);
  const char* field = nullptr;
  if ((unused & kDst) && insn.dst != 0) {
    field = "destination register";
  } else if ((unused & kSrc) && insn.src != 0) {
    field = "source register";
  } else if ((unused & kOff) && insn.offset != 0) {
    field = "offset";
  } else if ((unused & kImm) && insn.imm != 0) {
    field = "immediate";
  }
  if (field != nullptr) {
    return insn_error(index, insn, fmt::format("{} field must be 0 for {}", field, info->mnemonic));
  }
  if (insn.dst >= kNumRegisters) {
    return insn_error(index, insn, fmt::format("invalid destination register r{}", insn.dst));
  }
  if (insn.src >= kNumRegisters && info->disc != Disc::kSrc) {
    return insn_error(index, insn, fmt::format("invalid source register r{}", insn.src));
  }
  if ((writes_dst(info->form) && insn.dst == kFramePointer) || (writes_src(*info, insn) && insn.src == kFramePointer)) {
    return insn_error(index, insn, fmt::format("{} writes r10, which is read-only", info->mnemonic));
  }
  return info;
}

Result<Program> Program::from_instructions(std::vector<Instruction> insns) {
  if (insns.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "program is empty");
  }
  std::vector<const OpInfo*> ops(insns.size(), nullptr);
  for (size_t i = 0; i < insns.size(); ++i) {
    auto info = validate_instruction(insns[i], i);
    if (!info) {
      return info.take_error();
    }
    ops[i] = *info;
    if ((*info)->form != Form::kLddw) {
      continue;
    }
    if (i + 1 >= insns.size()) {
      return insn_error(i, insns[i], "lddw is missing its second slot");
    }
    const Instruction& next = insns[i + 1];
    if (next.opcode != 0 || next.dst != 0 || next.src != 0 || next.offset != 0) {
      return insn_error(i, insns[i], "second slot of lddw must have opcode, registers and offset 0");
    }
    const auto src = static_cast<LddwSrc>(insns[i].src);
    const bool uses_next_imm = src == LddwSrc::kImm64 || src == LddwSrc::kMapValue || src == LddwSrc::kMapIdxValue;
    if (!uses_next_imm && next.imm != 0) {
      return insn_error(i, insns[i], "second slot immediate must be 0 for this lddw source");
    }
    ++i;  // ops[i] stays nullptr: the second slot is not an instruction of its own
  }
  for (size_t i = 0; i < insns.size(); ++i) {
    const OpInfo* info = ops[i];
    if (info == nullptr) {
      continue;
    }
    Result<size_t> target = size_t{0};
    switch (info->form) {
      case Form::kJa:
      case Form::kJmpImm:
      case Form::kJmpReg:
        target = branch_target(insns, ops, i, insns[i].offset);
        break;
      case Form::kJa32:
      case Form::kCallLocal:
        target = branch_target(insns, ops, i, insns[i].imm);
        break;
      case Form::kLddw:
        // lddw func(+K): a callback's address, the function K+1 slots on (counted from the first slot).
        if (static_cast<LddwSrc>(insns[i].src) == LddwSrc::kFunc) {
          target = branch_target(insns, ops, i, insns[i].imm, "function");
        }
        break;
      default:
        break;
    }
    if (!target) {
      return target.take_error();
    }
  }
  const size_t last = ops.back() != nullptr ? insns.size() - 1 : insns.size() - 2;
  const Form last_form = ops[last]->form;
  if (last_form != Form::kExit && last_form != Form::kJa && last_form != Form::kJa32) {
    return insn_error(last, insns[last], "the last instruction falls off the end of the program");
  }
  return Program(std::move(insns), std::move(ops));
}

Result<Program> Program::decode(std::span<const uint8_t> bytes) {
  if (bytes.size() % sizeof(Instruction) != 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("bytecode size {} is not a multiple of 8 bytes", bytes.size()));
  }
  std::vector<Instruction> insns(bytes.size() / sizeof(Instruction));
  if (!bytes.empty()) {
    std::memcpy(insns.data(), bytes.data(), bytes.size());
  }
  return from_instructions(std::move(insns));
}

uint64_t Program::lddw_imm64(size_t i) const {
  return static_cast<uint32_t>(insns_[i].imm) | (static_cast<uint64_t>(static_cast<uint32_t>(insns_[i + 1].imm)) << 32);
}

std::vector<uint8_t> Program::bytes() const {
  std::vector<uint8_t> out(insns_.size() * sizeof(Instruction));
  std::memcpy(out.data(), insns_.data(), out.size());
  return out;
}

}  // namespace bpfrt
