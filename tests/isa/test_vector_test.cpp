#include "isa/test_vector.hpp"

#include <gtest/gtest.h>

namespace bpfrt {
namespace {

TEST(TestVector, ParsesSections) {
  auto vec = parse_test_vector(
      "# header comment\n-- asm\nmov %r0, 1 # one\nexit\n-- mem\n00 01\n0a ff # comment\n-- result\n0x1\n"
      "-- c\nint main() { return 1; }\n-- no register offset\nanything\n");
  ASSERT_TRUE(vec.ok()) << vec.error().message;
  EXPECT_TRUE(vec->has_asm);
  EXPECT_FALSE(vec->has_raw);
  EXPECT_EQ(vec->memory, (std::vector<uint8_t>{0x00, 0x01, 0x0a, 0xff}));
  EXPECT_EQ(vec->result, 1u);
  EXPECT_FALSE(vec->error.has_value());
  auto program = vec->program();
  ASSERT_TRUE(program.ok());
  EXPECT_EQ(program->size(), 2u);
}

TEST(TestVector, AssemblyErrorsUseFileLines) {
  auto vec = parse_test_vector("# c\n# c\n-- asm\nmov %r0, 1\nbogus %r0\n-- result\n0x1\n");
  ASSERT_TRUE(vec.ok());
  auto program = vec->program();
  ASSERT_FALSE(program.ok());
  EXPECT_EQ(program.error().message, "line 5: invalid mnemonic 'bogus'");
}

TEST(TestVector, RawAcceptsWordsAndBytes) {
  auto vec =
      parse_test_vector("-- raw\n0x00000001000000b7\nb7 00 00 00 02 00 00 00\n95 00 00 00 00 00 00 00\n-- result\n2\n");
  ASSERT_TRUE(vec.ok()) << vec.error().message;
  ASSERT_EQ(vec->raw.size(), 3u);
  EXPECT_EQ(vec->raw[0], (Instruction{0xb7, 0, 0, 0, 1}));
  EXPECT_EQ(vec->raw[1], (Instruction{0xb7, 0, 0, 0, 2}));
  EXPECT_EQ(vec->result, 2u);
}

TEST(TestVector, RejectsMalformedFiles) {
  auto unknown = parse_test_vector("-- asm\nexit\n-- Unknown directive\n");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().message, "line 3: unknown section '-- Unknown directive'");
  auto stray = parse_test_vector("mov %r0, 1\n");
  ASSERT_FALSE(stray.ok());
  EXPECT_EQ(stray.error().message, "line 1: text outside any section");
  auto bad_raw = parse_test_vector("-- raw\n07 00 01\n");
  ASSERT_FALSE(bad_raw.ok());
  EXPECT_EQ(bad_raw.error().message, "line 2: a raw instruction is one 64-bit hex word or 8 hex bytes");
  auto bad_mem = parse_test_vector("-- mem\n0g\n");
  ASSERT_FALSE(bad_mem.ok());
  EXPECT_EQ(bad_mem.error().message, "line 2: invalid hex bytes '0g'");
  auto bad_result = parse_test_vector("-- result\nzz\n");
  ASSERT_FALSE(bad_result.ok());
  EXPECT_EQ(bad_result.error().message, "invalid result 'zz'");
  auto no_program = parse_test_vector("-- result\n0x0\n");
  ASSERT_TRUE(no_program.ok());
  EXPECT_EQ(no_program->program().error().message, "no program: the file has no -- asm or -- raw section");
}

TEST(TestVector, ExpectedErrorSection) {
  auto vec = parse_test_vector("-- asm\nexit\n-- error\nInvalid\n");
  ASSERT_TRUE(vec.ok());
  ASSERT_TRUE(vec->error.has_value());
  EXPECT_EQ(*vec->error, "Invalid");
}

TEST(TestVector, HexBytes) {
  EXPECT_EQ(*parse_hex_bytes("0a1B ff"), (std::vector<uint8_t>{0x0a, 0x1b, 0xff}));
  // The upstream runner ends the program line with a newline.
  EXPECT_EQ(*parse_hex_bytes("b7 00\n95 00 \n"), (std::vector<uint8_t>{0xb7, 0x00, 0x95, 0x00}));
  EXPECT_FALSE(parse_hex_bytes("abc").ok());
  // The conformance format stays strict: pairs of digits only (the CLI's byte input is looser).
  EXPECT_FALSE(parse_hex_bytes("0 0 0 0").ok());
  EXPECT_FALSE(parse_hex_bytes("0x01 0x02").ok());
  EXPECT_FALSE(parse_test_vector("-- asm\nexit\n-- mem\n0 0\n").ok());
}

}  // namespace
}  // namespace bpfrt
