#include <set>
#include <tuple>

#include <gtest/gtest.h>

#include "bpfrt/opcodes.hpp"

namespace bpfrt {
namespace {

Instruction encoding_of(const OpInfo& info) {
  Instruction insn{};
  insn.opcode = info.opcode;
  switch (info.disc) {
    case Disc::kOffset:
      insn.offset = static_cast<int16_t>(info.disc_value);
      break;
    case Disc::kImm:
      insn.imm = info.disc_value;
      break;
    case Disc::kSrc:
      insn.src = static_cast<uint8_t>(info.disc_value) & 0xf;
      break;
    case Disc::kNone:
      break;
  }
  return insn;
}

TEST(OpcodeTable, EveryOperationDecodesToItself) {
  for (int i = 0; i < kNumOps; ++i) {
    const OpInfo& info = op_info(static_cast<Op>(i));
    EXPECT_EQ(static_cast<int>(info.id), i);
    const OpInfo* found = find_op(encoding_of(info));
    ASSERT_NE(found, nullptr) << info.mnemonic;
    EXPECT_EQ(found->id, info.id) << info.mnemonic;
  }
}

TEST(OpcodeTable, EncodingsAreUnique) {
  std::set<std::tuple<uint8_t, int32_t>> seen;
  for (int i = 0; i < kNumOps; ++i) {
    const OpInfo& info = op_info(static_cast<Op>(i));
    EXPECT_TRUE(seen.emplace(info.opcode, info.disc_value).second) << info.mnemonic;
  }
}

TEST(OpcodeTable, OperationsSharingAnOpcodeShareTheDiscriminator) {
  for (int opcode = 0; opcode < 256; ++opcode) {
    const auto ops = ops_with_opcode(static_cast<uint8_t>(opcode));
    for (const OpInfo* info : ops) {
      EXPECT_EQ(info->disc, ops.front()->disc) << info->mnemonic;
    }
  }
}

TEST(OpcodeTable, CoversTheWholeInstructionSet) {
  // RFC 9669 ALU (14 binary ops x imm/reg x 32/64 + neg), movsx, 9 byte-order ops, 7 loads, 8 stores,
  // 20 atomics, 7 lddw sources, 6 legacy loads, ja/ja32, 44 conditional jumps, 3 calls, callx, exit.
  EXPECT_EQ(kNumOps, 58 + 5 + 9 + 7 + 8 + 20 + 7 + 6 + 2 + 44 + 3 + 1 + 1);
  EXPECT_EQ(find_op(Instruction{0x8d, 1, 0, 0, 0})->id, Op::kCallx);
  EXPECT_EQ(find_op(Instruction{0x06, 0, 0, 0, 5})->id, Op::kJa32);
  EXPECT_EQ(find_op(Instruction{0x3f, 1, 2, 1, 0})->id, Op::kSdiv64Reg);
  EXPECT_EQ(find_op(Instruction{0x91, 1, 2, 0, 0})->id, Op::kLdxsB);
  EXPECT_EQ(find_op(Instruction{0xd7, 1, 0, 0, 32})->id, Op::kBswap32);
  EXPECT_EQ(find_op(Instruction{0xdb, 1, 2, 0, 0xf1})->id, Op::kAtomicCmpxchg64);
  EXPECT_EQ(find_op(Instruction{0x07, 0, 0, 0, 0})->id, Op::kAdd64Imm);
  EXPECT_EQ(find_op(Instruction{0xd4, 1, 0, 0, 24}), nullptr);
  EXPECT_EQ(find_op(Instruction{0xff, 0, 0, 0, 0}), nullptr);
}

TEST(OpcodeTable, AccessSizes) {
  EXPECT_EQ(access_size(op_info(Op::kLdxB)), 1);
  EXPECT_EQ(access_size(op_info(Op::kLdxsH)), 2);
  EXPECT_EQ(access_size(op_info(Op::kStW)), 4);
  EXPECT_EQ(access_size(op_info(Op::kStxDw)), 8);
  EXPECT_EQ(access_size(op_info(Op::kAtomicAdd32)), 4);
  EXPECT_EQ(access_size(op_info(Op::kAtomicCmpxchg64)), 8);
  EXPECT_EQ(access_size(op_info(Op::kLdAbsH)), 2);
  EXPECT_EQ(access_size(op_info(Op::kAdd64Imm)), 0);
}

}  // namespace
}  // namespace bpfrt
