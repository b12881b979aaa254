// The JIT's program analysis: basic blocks and their instruction counts, local-call targets, and the
// stack-pointer facts that let accesses skip their checks (which must never be wrong).
#include "vm/jit/jit_analysis.hpp"

#include <filesystem>

#include <gtest/gtest.h>

#include "isa/test_vector.hpp"

#include "test_util.hpp"

namespace bpfrt {
namespace {

using Region = PointerFact::Region;

TEST(JitAnalysis, BlocksAndCounts) {
  const Program p = test::must_assemble(
      "mov %r0, 0\n"       // 0  block 0: 0-1 (ends at the jump)
      "jeq %r1, 0, out\n"  // 1
      "lddw %r2, 5\n"      // 2-3 block 2: lddw counts once
      "call local f\n"     // 4
      "out: exit\n"        // 5  block 5
      "f: add %r0, 1\n"    // 6  block 6
      "exit\n");           // 7
  const ProgramAnalysis a = analyze_program(p);
  EXPECT_EQ(std::vector<uint8_t>(a.leader.begin(), a.leader.end()), (std::vector<uint8_t>{1, 0, 1, 0, 0, 1, 1, 0}));
  EXPECT_EQ(a.block_insns[0], 2u);
  EXPECT_EQ(a.block_insns[2], 2u);
  EXPECT_EQ(a.block_insns[5], 1u);
  EXPECT_EQ(a.block_insns[6], 2u);
  EXPECT_TRUE(a.call_target[6]);
  EXPECT_TRUE(a.has_local_calls);
}

TEST(JitAnalysis, StackPointerFacts) {
  const Program p = test::must_assemble(
      "mov %r2, %r10\n"       // 0
      "add %r2, -16\n"        // 1
      "stdw [%r2+8], 1\n"     // 2: r2 = r10-16
      "mov %r3, %r2\n"        // 3
      "add %r3, %r4\n"        // 4
      "stdw [%r3+0], 1\n"     // 5: r3 = r10 + unknown
      "jeq %r1, 0, l\n"       // 6
      "add %r2, 8\n"          // 7
      "l: stdw [%r2+0], 1\n"  // 8: r10-16 or r10-8: not exact
      "call local f\n"        // 9
      "exit\n"                // 10
      "f: stdw [%r2+0], 1\n"  // 11: a callee knows nothing of its caller's registers
      "stdw [%r10-8], 1\n"    // 12
      "exit\n");
  const ProgramAnalysis a = analyze_program(p);
  EXPECT_TRUE(a.base[2].exactly(Region::kStack));
  EXPECT_EQ(a.base[2].offset, -16);
  EXPECT_TRUE(a.base[5].is(Region::kStack));
  EXPECT_FALSE(a.base[5].exact);
  EXPECT_TRUE(a.base[8].is(Region::kStack));
  EXPECT_FALSE(a.base[8].exact);
  EXPECT_TRUE(a.base[11].is(Region::kNone));
  EXPECT_TRUE(a.base[12].exactly(Region::kStack));
  EXPECT_EQ(a.base[12].offset, 0);
}

TEST(JitAnalysis, CallsClobberArgumentRegistersButKeepCalleeSaved) {
  const Program p = test::must_assemble(
      "mov %r6, %r10\n"
      "mov %r1, %r10\n"
      "call local f\n"
      "stdw [%r6-8], 1\n"  // 3: r6 survives the call
      "stdw [%r1-8], 1\n"  // 4: r1 does not
      "exit\n"
      "f: mov %r6, 0\n"
      "exit\n");
  const ProgramAnalysis a = analyze_program(p);
  EXPECT_TRUE(a.base[3].exactly(Region::kStack));
  EXPECT_TRUE(a.base[4].is(Region::kNone));
}

TEST(JitAnalysis, LoopsReachAFixpoint) {
  const Program p = test::must_assemble(
      "mov %r2, %r10\n"
      "loop: add %r2, -8\n"
      "stdw [%r2+0], 1\n"  // 2: the offset changes every iteration
      "jne %r2, %r1, loop\n"
      "exit\n");
  const ProgramAnalysis a = analyze_program(p);
  EXPECT_TRUE(a.base[2].is(Region::kStack));
  EXPECT_FALSE(a.base[2].exact);
}

}  // namespace
}  // namespace bpfrt

namespace bpfrt {
namespace {

TEST(JitAnalysis, ContextPointerFacts) {
  const Program p = test::must_assemble(
      "ldxw %r2, [%r1+4]\n"     // 0: r1 = ctx + 0
      "mov %r3, %r1\n"          // 1
      "add %r3, 16\n"           // 2
      "ldxb %r4, [%r3+1]\n"     // 3: r3 = ctx + 16
      "add %r3, %r2\n"          // 4
      "ldxb %r4, [%r3+0]\n"     // 5: ctx + unknown
      "call local f\n"          // 6
      "exit\n"                  // 7
      "f: ldxb %r0, [%r1+0]\n"  // 8: a callee's r1 is whatever the caller passed
      "exit\n");
  const ProgramAnalysis a = analyze_program(p);
  EXPECT_TRUE(a.base[0].exactly(Region::kCtx));
  EXPECT_EQ(a.base[0].offset, 0);
  EXPECT_TRUE(a.base[3].exactly(Region::kCtx));
  EXPECT_EQ(a.base[3].offset, 16);
  EXPECT_TRUE(a.base[5].is(Region::kCtx));
  EXPECT_FALSE(a.base[5].exact);
  EXPECT_TRUE(a.base[8].is(Region::kNone));
  EXPECT_TRUE(a.has_local_calls);
  EXPECT_FALSE(a.has_helper_calls);
  EXPECT_EQ(a.regs_read, 0b1111u);  // r0 (exit), r1, r2, r3
}

// The analysis looks each operation's register use up in a table built from registers_read and
// registers_written: over every conformance vector (every operation, many register choices) the
// per-slot masks must be exactly what the two functions say.
TEST(JitAnalysis, RegisterMasksMatchTheFunctionsOnEveryVector) {
  size_t programs = 0;
  size_t insns = 0;
  for (const auto& entry : std::filesystem::directory_iterator(test::shared_dir() + "/conformance/tests")) {
    auto vector = load_test_vector(entry.path().string());
    ASSERT_TRUE(vector.ok()) << entry.path();
    auto program = vector->program();
    if (!program) {
      continue;  // vectors that expect an error
    }
    const ProgramAnalysis a = analyze_program(*program);
    for (size_t i = 0; i < program->size(); ++i) {
      const OpInfo* info = program->op_at(i);
      if (info == nullptr) {
        continue;
      }
      ASSERT_EQ(a.reads[i], registers_read(*info, (*program)[i])) << entry.path() << " slot " << i;
      ASSERT_EQ(a.writes[i], registers_written(*info, (*program)[i])) << entry.path() << " slot " << i;
      ++insns;
    }
    ++programs;
  }
  EXPECT_GT(programs, 300u);
  EXPECT_GT(insns, 2000u);
}

}  // namespace
}  // namespace bpfrt
