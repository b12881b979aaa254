// The JIT's fast-copy rewrites (vm/jit/jit_combine): byte-by-byte reassemblies become one wide load,
// masks held in registers become immediates, dead instructions go. Each program runs through the
// interpreter and the JIT over many random inputs (compare_engines: r0, memory written, errors), and
// the JIT's statistics show whether the rewrite happened, so a test fails both when a rewrite is
// wrong and when it silently stops applying.
#include <random>

#include <gtest/gtest.h>

#include "bpfrt/engine.hpp"

#include "conformance/differential.hpp"
#include "test_util.hpp"
#include "vm/jit/jit_engine.hpp"
#include "vm/verified_engine.hpp"

namespace bpfrt {
namespace {

JitCompileOptions bmi2(bool on) {
  JitCompileOptions o;
  o.use_bmi2 = on && cpu_has_bmi2();
  return o;
}

// Compares the engines on `text` over `runs` random contexts of `ctx_size` bytes, in checked and
// (for programs that stay in bounds) unchecked JIT modes, and returns the checked JIT's statistics.
JitStats compare(const std::string& text, size_t ctx_size = 32, EngineOptions options = {}, int runs = 64,
                 bool in_bounds = true) {
  const Program program = test::must_assemble(text);
  std::mt19937_64 rng(42);
  for (const bool checks : {true, false}) {
    if (!checks && !in_bounds) {
      continue;  // unchecked code may read past a short context: nothing to compare
    }
    options.bounds_checks = checks;
    for (int run = 0; run < runs; ++run) {
      std::vector<uint8_t> memory(ctx_size);
      for (auto& byte : memory) {
        byte = static_cast<uint8_t>(rng());
      }
      const DifferentialOutcome out = compare_engines(program, options, memory, bmi2(run % 2 == 0));
      EXPECT_TRUE(out.same) << text << "\nchecks " << checks << "\n" << out.difference;
      if (!out.same) {
        return {};
      }
    }
  }
  options.bounds_checks = true;
  auto engine = JitEngine::create(program, options, bmi2(true));
  EXPECT_TRUE(engine.ok());
  return engine.ok() ? (*engine)->stats() : JitStats{};
}

TEST(JitCombine, BigEndianFieldsBecomeOneLoadEach) {
  // As clang writes (p[12] << 8) | p[13] and a big-endian word, with unrelated work interleaved and
  // the byte registers reused at once.
  const JitStats stats = compare(R"(
    ldxb %r4, [%r1+13]
    ldxb %r3, [%r1+12]
    lsh %r3, 8
    or %r3, %r4
    mov %r4, 14
    ldxb %r2, [%r1+0]
    lsh %r2, 24
    ldxb %r5, [%r1+1]
    lsh %r5, 16
    or %r5, %r2
    ldxb %r2, [%r1+2]
    add %r4, 3
    lsh %r2, 8
    or %r5, %r2
    ldxb %r2, [%r1+3]
    or %r5, %r2
    lsh %r3, 32
    xor %r3, %r5
    add %r3, %r4
    mov %r0, %r3
    exit)");
  EXPECT_EQ(stats.combined_loads, 2u);
  EXPECT_GE(stats.dropped_insns, 10u);
}

TEST(JitCombine, LittleEndianWordsAndHalves) {
  // b0 | b1 << 8 | ... | b7 << 56: one 8-byte load; two ldxh halves: one 4-byte load.
  std::string text = "ldxb %r0, [%r1+8]\n";
  for (int k = 1; k < 8; ++k) {
    text += "ldxb %r2, [%r1+" + std::to_string(8 + k) + "]\nlsh %r2, " + std::to_string(8 * k) + "\nor %r0, %r2\n";
  }
  text += "ldxh %r3, [%r1+20]\nldxh %r4, [%r1+22]\nlsh %r4, 16\nor32 %r3, %r4\nxor %r0, %r3\nexit";
  const JitStats stats = compare(text);
  EXPECT_EQ(stats.combined_loads, 2u);
}

TEST(JitCombine, ShiftedFieldKeepsItsPlace) {
  // (p[4] << 16) | (p[5] << 8): a big-endian half, shifted left by 8.
  const JitStats stats = compare(R"(
    ldxb %r3, [%r1+4]
    lsh %r3, 16
    ldxb %r5, [%r1+5]
    lsh %r5, 8
    or %r5, %r3
    mov %r0, %r5
    exit)");
  EXPECT_EQ(stats.combined_loads, 1u);
}

TEST(JitCombine, NothingCombinesWhereTheValueWouldChange) {
  const char* programs[] = {
      // the base register changes between the loads
      "ldxb %r3, [%r1+0]\nadd %r1, 1\nldxb %r4, [%r1+0]\nlsh %r3, 8\nor %r3, %r4\nmov %r0, %r3\nexit",
      // a store after the loads, before the bytes are put together
      "ldxb %r3, [%r1+0]\nldxb %r4, [%r1+1]\nstb [%r1+1], 0x77\nlsh %r3, 8\nor %r3, %r4\nmov %r0, %r3\nexit",
      // the last load overwrites its own base
      "ldxb %r3, [%r1+0]\nlsh %r3, 8\nldxb %r1, [%r1+1]\nor %r3, %r1\nmov %r0, %r3\nexit",
      // bytes 0 and 2: not contiguous
      "ldxb %r3, [%r1+0]\nldxb %r4, [%r1+2]\nlsh %r4, 8\nor %r3, %r4\nmov %r0, %r3\nexit",
      // the same byte twice
      "ldxb %r3, [%r1+0]\nldxb %r4, [%r1+0]\nlsh %r4, 8\nor %r3, %r4\nmov %r0, %r3\nexit",
      // sign-extending loads
      "ldxsb %r3, [%r1+0]\nldxb %r4, [%r1+1]\nlsh %r3, 8\nor %r3, %r4\nmov %r0, %r3\nexit",
      // a shift that is not whole bytes
      "ldxb %r3, [%r1+0]\nldxb %r4, [%r1+1]\nlsh %r3, 7\nor %r3, %r4\nmov %r0, %r3\nexit",
      // across blocks: the analysis starts afresh at each block
      "ldxb %r3, [%r1+0]\nldxb %r4, [%r1+1]\nja +0\nlsh %r3, 8\nor %r3, %r4\nmov %r0, %r3\nexit",
  };
  for (const char* text : programs) {
    EXPECT_EQ(compare(text).combined_loads, 0u) << text;
  }
}

TEST(JitCombine, ThreeBytesCombineOnlyTheFirstTwo) {
  const JitStats stats = compare(
      "ldxb %r3, [%r1+0]\nldxb %r4, [%r1+1]\nlsh %r4, 8\nor %r3, %r4\nldxb %r4, [%r1+2]\nlsh %r4, 16\n"
      "or %r3, %r4\nmov %r0, %r3\nexit");
  EXPECT_EQ(stats.combined_loads, 1u);
}

TEST(JitCombine, BytesStillReadLaterAreKept) {
  // r4 (p[1]) is read in the next block: its load stays although the or became a wide load.
  const JitStats stats = compare(R"(
    ldxb %r3, [%r1+0]
    ldxb %r4, [%r1+1]
    lsh %r3, 8
    or %r3, %r4
    jeq %r3, 0x1234, +1
    mov %r0, %r4
    add %r0, %r3
    exit)");
  EXPECT_EQ(stats.combined_loads, 1u);
}

TEST(JitCombine, SubprogramsKeepWhatTheirCallerMayRead) {
  // An exit in a subprogram returns to a caller that may read what the callee left in r1-r5 (no
  // verifier here to forbid it): nothing the callee wrote is dead.
  const JitStats stats = compare(R"(
    call local sub
    add %r0, %r4
    exit
  sub:
    ldxb %r3, [%r1+0]
    ldxb %r4, [%r1+1]
    lsh %r3, 8
    or %r3, %r4
    mov %r0, %r3
    exit)");
  EXPECT_EQ(stats.combined_loads, 1u);
}

TEST(JitCombine, FaultsNameTheSameInstruction) {
  // Contexts too short for the bytes: the block's slow copy runs instruction by instruction and
  // faults where the interpreter does, with the same message (compare_engines checks both).
  const std::string text =
      "mov %r0, 0\nldxb %r4, [%r1+13]\nldxb %r3, [%r1+12]\nlsh %r3, 8\nor %r3, %r4\n"
      "mov %r0, %r3\nexit";
  for (size_t size : {size_t{0}, size_t{12}, size_t{13}, size_t{14}}) {
    compare(text, size, {}, 4, /*in_bounds=*/false);
  }
}

TEST(JitCombine, BudgetsCountTheProgramAsWritten) {
  const std::string text = "ldxb %r4, [%r1+1]\nldxb %r3, [%r1+0]\nlsh %r3, 8\nor %r3, %r4\nmov %r0, %r3\nexit";
  for (uint64_t budget : {1, 2, 3, 4, 5, 6, 7}) {
    EngineOptions options;
    options.instruction_budget = budget;
    compare(text, 8, options, 4);
  }
}

TEST(JitCombine, MasksInRegistersBecomeImmediates) {
  // jhash's rotates as clang writes them for BPF: mov, and with an lddw mask, rsh.
  const JitStats stats = compare(R"(
    ldxdw %r3, [%r1+0]
    lddw %r2, 0xf0000000
    mov %r4, %r3
    and %r4, %r2
    rsh %r4, 28
    mov %r0, %r3
    lsh %r0, 4
    or %r0, %r4
    lddw %r5, 0xffff0000
    mov %r6, %r0
    and %r6, %r5
    rsh %r6, 15
    xor %r0, %r6
    lddw %r7, -16
    and %r0, %r7
    lddw %r8, 0x100000000
    mov %r9, %r3
    and %r9, %r8
    xor %r0, %r9
    exit)");
  EXPECT_EQ(stats.combined_loads, 0u);
  EXPECT_GE(stats.dropped_insns, 3u);  // the and before rsh 28, and the lddw of 0xf0000000, 0xffff0000, -16
}

TEST(JitCombine, MasksOfThirtyTwoBitAnds) {
  compare("ldxdw %r3, [%r1+0]\nlddw %r2, 0xfffffff0ffffff00\nand32 %r3, %r2\nmov %r0, %r3\nexit");
  // -256 fits a sign-extended immediate; its upper half is not clear, so the move stays 64-bit.
  const JitStats stats = compare(
      "ldxdw %r3, [%r1+0]\nlddw %r2, 0xffffffffffffff00\nmov %r4, %r3\nand %r4, %r2\nrsh %r4, 8\nmov %r0, %r4\n"
      "exit");
  EXPECT_EQ(stats.dropped_insns, 1u);  // the lddw
}

TEST(JitCombine, AndsThatChangeNothingAreDropped) {
  const JitStats stats = compare(R"(
    ldxh %r2, [%r1+0]
    and %r2, 0xffff
    ldxw %r3, [%r1+4]
    mov32 %r3, %r3
    ldxb %r4, [%r1+8]
    and %r4, 0x7f
    add %r2, %r3
    add %r2, %r4
    mov %r0, %r2
    exit)");
  EXPECT_EQ(stats.dropped_insns, 2u);  // the and 0xffff and the mov32; and 0x7f changes the byte
}

TEST(JitCombine, VerifiedProgramsCombineWithoutChecks) {
  const Program program =
      test::must_assemble("ldxb %r4, [%r1+13]\nldxb %r3, [%r1+12]\nlsh %r3, 8\nor %r3, %r4\nmov %r0, %r3\nexit");
  LoadOptions load;
  load.verifier.ctx_size = 16;
  auto engine = load_engine(EngineKind::kJit, program, load);
  ASSERT_TRUE(engine.ok()) << engine.error().message;
  const auto& jit = static_cast<const JitEngine&>(**engine);
  EXPECT_EQ(jit.stats().combined_loads, 1u);
  EXPECT_EQ(jit.stats().checked_accesses, 0u);
  std::vector<uint8_t> ctx(16);
  ctx[12] = 0x81;
  ctx[13] = 0x02;
  auto r0 = (*engine)->run(ctx.data(), ctx.size());
  ASSERT_TRUE(r0.ok());
  EXPECT_EQ(*r0, 0x8102u);
  const Engine::RunOutcome event = (*engine)->run_event(ctx.data(), ctx.size());
  EXPECT_EQ(event.failed, 0u);
  EXPECT_EQ(event.r0, 0x8102u);
  const Engine::RunOutcome short_ctx = (*engine)->run_event(ctx.data(), 8);
  EXPECT_NE(short_ctx.failed, 0u);
  EXPECT_NE(Engine::take_event_error().message.find("the context is 8 bytes"), std::string::npos);
}

}  // namespace
}  // namespace bpfrt
