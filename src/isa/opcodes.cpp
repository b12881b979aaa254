// The opcode table and the lookup from an instruction slot to its operation.
#include "bpfrt/opcodes.hpp"

#include <array>

namespace bpfrt {
namespace {

constexpr std::array<OpInfo, kNumOps> kOpTable = {{
#define BPFRT_OP_ROW(id, opcode, disc, value, mnemonic, form, version) \
  {Op::id, opcode, Disc::disc, value, mnemonic, Form::form, version},
    BPFRT_OPCODES(BPFRT_OP_ROW)
#undef BPFRT_OP_ROW
}};

// Per opcode byte: the operations sharing it (at most 12: the 64-bit atomics).
struct OpcodeSlot {
  std::array<const OpInfo*, 12> ops{};
  int count = 0;
};

std::array<OpcodeSlot, 256> build_index() {
  std::array<OpcodeSlot, 256> index{};
  for (const OpInfo& info : kOpTable) {
    OpcodeSlot& slot = index[info.opcode];
    slot.ops[static_cast<size_t>(slot.count++)] = &info;
  }
  return index;
}

const std::array<OpcodeSlot, 256>& opcode_index() {
  static const std::array<OpcodeSlot, 256> kIndex = build_index();
  return kIndex;
}

int32_t disc_field(const Instruction& insn, Disc disc) {
  switch (disc) {
    case Disc::kNone:
      return 0;
    case Disc::kOffset:
      return insn.offset;
    case Disc::kImm:
      return insn.imm;
    case Disc::kSrc:
      return insn.src;
  }
  return 0;
}

}  // namespace

const OpInfo& op_info(Op op) {
  return kOpTable[static_cast<size_t>(op)];
}

const OpInfo* find_op(const Instruction& insn) {
  const OpcodeSlot& slot = opcode_index()[insn.opcode];
  for (int i = 0; i < slot.count; ++i) {
    const OpInfo* info = slot.ops[static_cast<size_t>(i)];
    if (disc_field(insn, info->disc) == info->disc_value) {
      return info;
    }
  }
  return nullptr;
}

bool opcode_exists(uint8_t opcode) {
  return opcode_index()[opcode].count > 0;
}

std::vector<const OpInfo*> ops_with_opcode(uint8_t opcode) {
  const OpcodeSlot& slot = opcode_index()[opcode];
  return {slot.ops.begin(), slot.ops.begin() + slot.count};
}

int access_size(const OpInfo& info) {
  switch (info.form) {
    case Form::kLoad:
    case Form::kStoreImm:
    case Form::kStoreReg:
    case Form::kLdAbs:
    case Form::kLdInd:
    case Form::kAtomic:
      break;
    default:
      return 0;
  }
  switch (info.opcode & 0x18) {
    case 0x00:
      return 4;
    case 0x08:
      return 2;
    case 0x10:
      return 1;
    default:
      return 8;
  }
}

}  // namespace bpfrt
