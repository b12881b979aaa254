#include <gtest/gtest.h>

#include "bpfrt/isa.hpp"

namespace bpfrt {
namespace {

constexpr Instruction kExit{0x95, 0, 0, 0, 0};

std::string decode_error(std::vector<Instruction> insns) {
  auto program = Program::from_instructions(std::move(insns));
  return program ? std::string("(accepted)") : program.error().message;
}

TEST(Decoder, AcceptsMinimalProgram) {
  auto program = Program::from_instructions({Instruction{0xb7, 0, 0, 0, 7}, kExit});
  ASSERT_TRUE(program.ok());
  EXPECT_EQ(program->size(), 2u);
  EXPECT_EQ(program->op_at(0)->id, Op::kMov64Imm);
}

TEST(Decoder, RejectsEmptyAndTruncatedInput) {
  EXPECT_EQ(decode_error({}), "program is empty");
  const uint8_t bytes[12] = {0xb7, 0, 0, 0, 1, 0, 0, 0, 0x95, 0, 0, 0};
  auto program = Program::decode(bytes);
  ASSERT_FALSE(program.ok());
  EXPECT_EQ(program.error().message, "bytecode size 12 is not a multiple of 8 bytes");
}

TEST(Decoder, NamesTheInstructionOfAnUnknownOpcode) {
  auto program = Program::from_instructions({Instruction{0xb7, 0, 0, 0, 1}, Instruction{0xff, 0, 0, 0, 0}, kExit});
  ASSERT_FALSE(program.ok());
  EXPECT_EQ(program.error().message, "instruction 1 (opcode 0xff): unknown opcode");
  EXPECT_EQ(program.error().insn, 1u);
}

TEST(Decoder, RejectsReservedFields) {
  EXPECT_EQ(decode_error({Instruction{0x07, 0, 1, 0, 1}, kExit}),
            "instruction 0 (opcode 0x07): source register field must be 0 for add");
  EXPECT_EQ(decode_error({Instruction{0x0f, 0, 1, 0, 5}, kExit}),
            "instruction 0 (opcode 0x0f): immediate field must be 0 for add");
  EXPECT_EQ(decode_error({Instruction{0x95, 0, 0, 0, 1}}),
            "instruction 0 (opcode 0x95): immediate field must be 0 for exit");
  EXPECT_EQ(decode_error({Instruction{0x05, 1, 0, 0, 0}, kExit}),
            "instruction 0 (opcode 0x05): destination register field must be 0 for ja");
  EXPECT_EQ(decode_error({Instruction{0x8d, 1, 0, 0, 4}, kExit}),
            "instruction 0 (opcode 0x8d): immediate field must be 0 for call");
  EXPECT_EQ(decode_error({Instruction{0x06, 0, 0, 1, 0}, kExit}),
            "instruction 0 (opcode 0x06): offset field must be 0 for ja32");
}

TEST(Decoder, NamesTheValidVariantsOfADiscriminatedOpcode) {
  EXPECT_EQ(
      decode_error({Instruction{0xbf, 0, 1, 4, 0}, kExit}),
      "instruction 0 (opcode 0xbf): offset is 4, must be 0 (mov), 8 (movsx864), 16 (movsx1664) or 32 (movsx3264)");
  EXPECT_EQ(decode_error({Instruction{0xd4, 0, 0, 0, 8}, kExit}),
            "instruction 0 (opcode 0xd4): immediate is 8, must be 16 (le16), 32 (le32) or 64 (le64)");
  EXPECT_EQ(decode_error({Instruction{0x18, 0, 7, 0, 0}, Instruction{}, kExit}),
            "instruction 0 (opcode 0x18): source register is 7, must be 0 (lddw imm64), 1 (lddw map_fd), 2 (lddw "
            "map_value), 3 (lddw btf_id), 4 (lddw func), 5 (lddw map_idx) or 6 (lddw map_idx_value)");
  EXPECT_EQ(
      decode_error({Instruction{0x85, 0, 3, 0, 0}, kExit}),
      "instruction 0 (opcode 0x85): source register is 3, must be 0 (call helper), 1 (call local) or 2 (call kfunc)");
}

TEST(Decoder, RejectsBadRegisters) {
  EXPECT_EQ(decode_error({Instruction{0xbf, 11, 0, 0, 0}, kExit}),
            "instruction 0 (opcode 0xbf): invalid destination register r11");
  EXPECT_EQ(decode_error({Instruction{0xbf, 0, 12, 0, 0}, kExit}),
            "instruction 0 (opcode 0xbf): invalid source register r12");
  EXPECT_EQ(decode_error({Instruction{0xb7, 10, 0, 0, 0}, kExit}),
            "instruction 0 (opcode 0xb7): mov writes r10, which is read-only");
  EXPECT_EQ(decode_error({Instruction{0x61, 10, 1, 0, 0}, kExit}),
            "instruction 0 (opcode 0x61): ldxw writes r10, which is read-only");
  // Fetching atomics write their source register.
  EXPECT_EQ(decode_error({Instruction{0xdb, 1, 10, 0, 0x01}, kExit}),
            "instruction 0 (opcode 0xdb): lock fetch add writes r10, which is read-only");
  // Stores through r10 are fine.
  EXPECT_EQ(decode_error({Instruction{0x7a, 10, 0, -8, 1}, kExit}), "(accepted)");
}

TEST(Decoder, RejectsJumpsOutsideTheProgram) {
  EXPECT_EQ(decode_error({Instruction{0x05, 0, 0, 1, 0}, kExit}),
            "instruction 0 (opcode 0x05): jump target 2 is outside the program (0..1)");
  EXPECT_EQ(decode_error({Instruction{0x15, 1, 0, -2, 0}, kExit}),
            "instruction 0 (opcode 0x15): jump target -1 is outside the program (0..1)");
  EXPECT_EQ(decode_error({Instruction{0x06, 0, 0, 0, 5}, kExit}),
            "instruction 0 (opcode 0x06): jump target 6 is outside the program (0..1)");
  EXPECT_EQ(decode_error({Instruction{0x85, 0, 1, 0, 3}, kExit}),
            "instruction 0 (opcode 0x85): jump target 4 is outside the program (0..1)");
}

TEST(Decoder, RejectsJumpsIntoTheSecondSlotOfLddw) {
  EXPECT_EQ(decode_error({Instruction{0x05, 0, 0, 1, 0}, Instruction{0x18, 0, 0, 0, 1}, Instruction{}, kExit}),
            "instruction 0 (opcode 0x05): jump target 2 is the second slot of an lddw");
}

TEST(Decoder, ChecksFunctionTargetsOfLddwFunc) {
  // lddw func(+K) names the function K+1 slots after its first slot, like a local call.
  const Instruction func_plus_1{0x18, 1, 4, 0, 1};
  EXPECT_EQ(decode_error({func_plus_1, Instruction{}, kExit, kExit}), "(accepted)");
  EXPECT_EQ(decode_error({Instruction{0x18, 1, 4, 0, 5}, Instruction{}, kExit}),
            "instruction 0 (opcode 0x18): function target 6 is outside the program (0..2)");
  EXPECT_EQ(decode_error({Instruction{0x18, 1, 4, 0, 0}, Instruction{}, kExit}),
            "instruction 0 (opcode 0x18): function target 1 is the second slot of an lddw");
}

TEST(Decoder, ChecksLddwSlots) {
  EXPECT_EQ(decode_error({kExit, Instruction{0x18, 0, 0, 0, 1}}),
            "instruction 1 (opcode 0x18): lddw is missing its second slot");
  EXPECT_EQ(decode_error({Instruction{0x18, 0, 0, 0, 1}, Instruction{0x18, 0, 0, 0, 0}, kExit}),
            "instruction 0 (opcode 0x18): second slot of lddw must have opcode, registers and offset 0");
  EXPECT_EQ(decode_error({Instruction{0x18, 1, 1, 0, 3}, Instruction{0, 0, 0, 0, 8}, kExit}),
            "instruction 0 (opcode 0x18): second slot immediate must be 0 for this lddw source");
  auto program = Program::from_instructions({Instruction{0x18, 1, 2, 0, 3}, Instruction{0, 0, 0, 0, 8}, kExit});
  ASSERT_TRUE(program.ok());
  EXPECT_EQ(program->op_at(0)->id, Op::kLddwMapValue);
  EXPECT_EQ(program->op_at(1), nullptr);
}

TEST(Decoder, RejectsFallingOffTheEnd) {
  EXPECT_EQ(decode_error({Instruction{0xb7, 0, 0, 0, 0}}),
            "instruction 0 (opcode 0xb7): the last instruction falls off the end of the program");
  EXPECT_EQ(decode_error({kExit, Instruction{0x15, 0, 0, -2, 0}}),
            "instruction 1 (opcode 0x15): the last instruction falls off the end of the program");
  EXPECT_EQ(decode_error({Instruction{0x05, 0, 0, -1, 0}}),
            "(accepted)");  // an endless loop is the verifier's business
}

TEST(Decoder, BytesRoundTrip) {
  const std::vector<uint8_t> bytes = {0x18, 0x01, 0,    0,    0x44, 0x33, 0x22, 0x11, 0, 0, 0, 0,
                                      0x88, 0x77, 0x66, 0x55, 0x95, 0,    0,    0,    0, 0, 0, 0};
  auto program = Program::decode(bytes);
  ASSERT_TRUE(program.ok()) << program.error().message;
  EXPECT_EQ(program->lddw_imm64(0), 0x5566778811223344ULL);
  EXPECT_EQ(program->bytes(), bytes);
}

}  // namespace
}  // namespace bpfrt
