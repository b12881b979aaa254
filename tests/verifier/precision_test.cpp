// Precision tracking: pruning may ignore scalars no check relied on, and must not ignore those one did,
// whether the value reached the check directly, through the stack, through a linked copy or through a
// subprogram. Each unsafe program below is safe on the path explored first, which stores the join state;
// the unsafe value arrives second and is refused only if the join state learned the value matters.
#include <gtest/gtest.h>

#include "bpfrt/verifier.hpp"

#include "test_util.hpp"

namespace bpfrt {
namespace {

VerifierReport verify(const std::string& text, bool track_precision = true) {
  VerifyOptions options;
  options.ctx_size = 8;
  options.track_precision = track_precision;
  auto report = verify_program(test::must_assemble(text), options);
  EXPECT_TRUE(report.ok());
  return report.ok() ? *report : VerifierReport{};
}

// r1 is 0 on the first path to `join` and 100 on the second; after the join it offsets a stack pointer.
constexpr const char* kDirect = R"(
    ldxb %r2, [%r1+0]
    mov %r1, 100
    jne %r2, 0, join
    mov %r1, 0
  join:
    stdw [%r10-8], 0
    mov %r3, %r10
    add %r3, -8
    add %r3, %r1
    ldxb %r0, [%r3+0]
    exit)";

TEST(Precision, ValueUsedAsOffsetAfterAJoin) {
  const VerifierReport r = verify(kDirect);
  EXPECT_FALSE(r.accepted);
  EXPECT_TRUE(r.reason.find("invalid read from stack") != std::string::npos ||
              r.reason.find("invalid") != std::string::npos)
      << r.reason;
  EXPECT_EQ(r.insn, 8u);
}

TEST(Precision, ValueThroughAStackSpill) {
  const VerifierReport r = verify(R"(
    ldxb %r2, [%r1+0]
    mov %r1, 100
    jne %r2, 0, join
    mov %r1, 0
  join:
    stxdw [%r10-16], %r1
    mov %r1, 0
    stdw [%r10-8], 0
    ldxdw %r4, [%r10-16]
    mov %r3, %r10
    add %r3, -8
    add %r3, %r4
    ldxb %r0, [%r3+0]
    exit)");
  EXPECT_FALSE(r.accepted) << r.log;
}

TEST(Precision, ValueThroughALinkedCopyAndABranch) {
  // r4 is a copy of r1; the branch on r4 narrows r1 on the fall-through; the second path makes the
  // branch go the other way.
  const VerifierReport r = verify(R"(
    ldxb %r2, [%r1+0]
    mov %r1, 100
    jne %r2, 0, join
    mov %r1, 0
  join:
    mov %r4, %r1
    jgt %r4, 200, out
    stdw [%r10-8], 0
    mov %r3, %r10
    add %r3, -8
    add %r3, %r1
    ldxb %r0, [%r3+0]
  out:
    mov %r0, 0
    exit)");
  EXPECT_FALSE(r.accepted) << r.log;
}

TEST(Precision, ValueThroughASubprogram) {
  const VerifierReport r = verify(R"(
    ldxb %r2, [%r1+0]
    mov %r6, 100
    jne %r2, 0, join
    mov %r6, 0
  join:
    mov %r1, %r6
    call local id
    stdw [%r10-8], 0
    mov %r3, %r10
    add %r3, -8
    add %r3, %r0
    ldxb %r0, [%r3+0]
    exit
  id:
    mov %r0, %r1
    exit)");
  EXPECT_FALSE(r.accepted) << r.log;
}

TEST(Precision, DecidedBranchMakesTheValuePrecise) {
  // The first path cannot reach `bad` (r1 is 0); the second can.
  const VerifierReport r = verify(R"(
    ldxb %r2, [%r1+0]
    mov %r1, 100
    jne %r2, 0, join
    mov %r1, 0
  join:
    mov %r0, 0
    jgt %r1, 50, bad
    exit
  bad:
    ldxdw %r0, [%r10+8]
    exit)");
  EXPECT_FALSE(r.accepted) << r.log;
  EXPECT_EQ(r.insn, 7u);
}

TEST(Precision, UnusedAccumulatorDoesNotBlockPruning) {
  // Counting zero bytes in a loop: the count never matters to safety, so paths that differ only in
  // it are pruned. Without precision tracking every count is a separate state.
  const std::string program = R"(
    mov %r0, 0
    mov %r2, 0
  loop:
    mov %r3, %r1
    add %r3, %r2
    ldxb %r4, [%r3+0]
    jne %r4, 0, skip
    add %r0, 1
  skip:
    add %r2, 1
    jlt %r2, 8, loop
    exit)";
  const VerifierReport precise = verify(program);
  const VerifierReport exact = verify(program, false);
  ASSERT_TRUE(precise.accepted) << precise.log;
  ASSERT_TRUE(exact.accepted) << exact.log;
  EXPECT_LT(precise.stats.insns_processed * 3, exact.stats.insns_processed)
      << precise.stats.insns_processed << " vs " << exact.stats.insns_processed;
}

}  // namespace
}  // namespace bpfrt
