#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "bpfrt/engine.hpp"

#include "helpers/conformance_helpers.hpp"
#include "test_util.hpp"

namespace bpfrt {
namespace {

using test::run_text;

uint64_t value_of(const Result<uint64_t>& r) {
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : 0xdeadbeef;
}

TEST(Interpreter, ArgumentsAndStack) {
  std::vector<uint8_t> mem(24);
  auto r = run_text("mov %r0, %r2\nexit", &mem);
  EXPECT_EQ(value_of(r), 24u);
  // r10 is the top of the stack: the 512 bytes below it are usable, 8-byte aligned.
  EXPECT_EQ(value_of(run_text("stdw [%r10-512], 7\nldxdw %r0, [%r10-512]\nexit")), 7u);
  EXPECT_EQ(value_of(run_text("mov %r0, %r10\nand %r0, 7\nexit")), 0u);
  // With no memory, r1 is 0.
  EXPECT_EQ(value_of(run_text("mov %r0, %r1\nexit")), 0u);
}

TEST(Interpreter, ThirtyTwoBitResultsAreZeroExtended) {
  EXPECT_EQ(value_of(run_text("lddw %r0, 0xffffffffffffffff\nadd32 %r0, 1\nexit")), 0u);
  EXPECT_EQ(value_of(run_text("mov32 %r0, -1\nexit")), 0xffffffffu);
  EXPECT_EQ(value_of(run_text("mov %r0, -1\nexit")), UINT64_MAX);
  EXPECT_EQ(value_of(run_text("lddw %r0, 0x1ffffffff\nmod32 %r0, 0\nexit")), 0xffffffffu);
  EXPECT_EQ(value_of(run_text("lddw %r0, 0x100000005\ndiv32 %r0, 0\nexit")), 0u);
  EXPECT_EQ(value_of(run_text("lddw %r0, 0x1ffffffff\nmov %r1, 0\nmod %r0, %r1\nexit")), 0x1ffffffffu);
}

TEST(Interpreter, RfcCornerCases) {
  EXPECT_EQ(value_of(run_text("lddw %r0, 0x8000000000000000\nsdiv %r0, -1\nexit")), 0x8000000000000000u);
  EXPECT_EQ(value_of(run_text("lddw %r0, 0x8000000000000000\nsmod %r0, -1\nexit")), 0u);
  EXPECT_EQ(value_of(run_text("mov32 %r0, 0x80000000\nsdiv32 %r0, -1\nexit")), 0x80000000u);
  EXPECT_EQ(value_of(run_text("mov %r0, 1\nmov %r1, 65\nlsh %r0, %r1\nexit")), 2u);
  EXPECT_EQ(value_of(run_text("mov %r0, 1\nlsh32 %r0, 33\nexit")), 2u);
  EXPECT_EQ(value_of(run_text("mov %r0, -16\narsh %r0, 2\nexit")), static_cast<uint64_t>(-4));
  EXPECT_EQ(value_of(run_text("mov32 %r0, -16\narsh32 %r0, 2\nexit")), 0xfffffffcu);
  EXPECT_EQ(value_of(run_text("lddw %r0, 0x100000001\nneg32 %r0\nexit")), 0xffffffffu);
  // JMP32 compares only the low halves; JMP immediates are sign-extended to 64 bits.
  EXPECT_EQ(value_of(run_text("lddw %r1, 0x100000000\nmov %r0, 1\njeq32 %r1, 0, +1\nmov %r0, 2\nexit")), 1u);
  EXPECT_EQ(value_of(run_text("mov %r1, -1\nmov %r0, 1\njeq %r1, -1, +1\nmov %r0, 2\nexit")), 1u);
  EXPECT_EQ(value_of(run_text("mov32 %r1, -1\nmov %r0, 1\njeq %r1, -1, +1\nmov %r0, 2\nexit")), 2u);
}

TEST(Interpreter, OutOfBoundsAccessNamesTheInstruction) {
  std::vector<uint8_t> mem(8);
  auto r = run_text("mov %r0, 0\nldxdw %r0, [%r1+4]\nexit", &mem);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kOutOfBounds);
  EXPECT_EQ(r.error().insn, 1u);
  EXPECT_NE(r.error().message.find("instruction 1 (ldxdw %r0, [%r1+4]): out-of-bounds read of 8 bytes at 0x"),
            std::string::npos)
      << r.error().message;

  auto below_stack = run_text("stdw [%r10-520], 1\nexit");
  ASSERT_FALSE(below_stack.ok());
  EXPECT_NE(below_stack.error().message.find("out-of-bounds write of 8 bytes"), std::string::npos);
  auto above_stack = run_text("ldxb %r0, [%r10]\nexit");
  ASSERT_FALSE(above_stack.ok());
  auto null_read = run_text("mov %r1, 0\nldxw %r0, [%r1]\nexit");
  ASSERT_FALSE(null_read.ok());
  // A wild pointer far from any region, and addresses that wrap around.
  ASSERT_FALSE(run_text("lddw %r1, 0xffffffffffffffff\nldxb %r0, [%r1]\nexit").ok());
  ASSERT_FALSE(run_text("mov %r1, %r10\nlddw %r2, 0x8000000000000000\nadd %r1, %r2\nldxdw %r0, [%r1]\nexit").ok());
}

TEST(Interpreter, ReadOnlyContext) {
  std::vector<uint8_t> mem(8);
  EngineOptions options;
  options.ctx_writable = false;
  EXPECT_EQ(value_of(run_text("ldxdw %r0, [%r1]\nexit", &mem, options)), 0u);
  auto r = run_text("stb [%r1], 1\nexit", &mem, options);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("out-of-bounds write of 1 bytes"), std::string::npos);
}

TEST(Interpreter, RegisteredRegions) {
  std::vector<uint64_t> table = {10, 20, 30};
  EngineOptions options;
  options.regions.push_back(MemoryRegion{reinterpret_cast<uint64_t>(table.data()), 24, false});
  const std::string read =
      "lddw %r1, " + std::to_string(reinterpret_cast<uint64_t>(table.data())) + "\nldxdw %r0, [%r1+16]\nexit";
  EXPECT_EQ(value_of(run_text(read, nullptr, options)), 30u);
  const std::string past =
      "lddw %r1, " + std::to_string(reinterpret_cast<uint64_t>(table.data())) + "\nldxdw %r0, [%r1+17]\nexit";
  EXPECT_FALSE(run_text(past, nullptr, options).ok());
  const std::string write =
      "lddw %r1, " + std::to_string(reinterpret_cast<uint64_t>(table.data())) + "\nstdw [%r1], 1\nexit";
  EXPECT_FALSE(run_text(write, nullptr, options).ok());
}

TEST(Interpreter, InstructionBudget) {
  EngineOptions options;
  options.instruction_budget = 1000;
  auto endless = run_text("mov %r0, 0\nloop: add %r0, 1\nja loop", nullptr, options);
  ASSERT_FALSE(endless.ok());
  EXPECT_EQ(endless.error().code, ErrorCode::kBudgetExhausted);
  EXPECT_NE(endless.error().message.find("instruction budget of 1000 exhausted"), std::string::npos);
  // Exactly at the budget still succeeds: 3 instructions with a budget of 3.
  options.instruction_budget = 3;
  EXPECT_EQ(value_of(run_text("mov %r0, 1\nadd %r0, 1\nexit", nullptr, options)), 2u);
  options.instruction_budget = 2;
  EXPECT_FALSE(run_text("mov %r0, 1\nadd %r0, 1\nexit", nullptr, options).ok());
}

TEST(Interpreter, FusedMovAluPairsKeepTheirMeaning) {
  // mov D, S followed by an ALU operation on D runs as one slot; every shape must mean what the two
  // instructions mean.
  struct Case {
    const char* why;
    const char* text;
    uint64_t r0;
  };
  const Case cases[] = {
      {"plain pair", "mov %r1, 5\nmov %r0, %r1\nadd %r0, 3\nexit", 8},
      {"ALU source = mov source", "mov %r1, 3\nmov %r0, %r1\nmul %r0, %r1\nexit", 9},
      {"ALU source = destination: not fused", "mov %r0, 7\nmov %r1, 3\nmov %r0, %r1\nadd %r0, %r0\nexit", 6},
      {"mov to itself", "mov %r0, 2\nmov %r0, %r0\nsub %r0, 5\nexit", static_cast<uint64_t>(-3)},
      {"32-bit truncates and zero-extends", "lddw %r1, 0x100000005\nmov32 %r0, %r1\nadd32 %r0, -1\nexit", 4},
      {"32-bit arithmetic shift", "mov %r1, -1\nmov32 %r0, %r1\narsh32 %r0, 4\nexit", 0xffffffff},
      {"64-bit shift masked", "mov %r2, 65\nmov %r1, 1\nmov %r0, %r1\nlsh %r0, %r2\nexit", 2},
      {"32-bit shift masked", "mov %r2, 33\nmov %r1, 1\nmov32 %r0, %r1\nlsh32 %r0, %r2\nexit", 2},
      {"mov64 + alu32 is no pair", "lddw %r1, 0x1ffffffff\nmov %r0, %r1\nadd32 %r0, 1\nexit", 0},
      {"mov32 + alu64 is no pair", "lddw %r1, 0x1ffffffff\nmov32 %r0, %r1\nadd %r0, 1\nexit", 0x100000000},
      {"jump onto the ALU half", "mov %r0, 10\nmov %r1, 1\njeq %r1, 1, +1\nmov %r0, %r1\nadd %r0, 5\nexit", 15},
      {"fall into the pair", "mov %r0, 10\nmov %r1, 2\njeq %r1, 1, +1\nmov %r0, %r1\nadd %r0, 5\nexit", 7},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(value_of(run_text(c.text)), c.r0) << c.why;
  }
}

TEST(Interpreter, FusedPairsCountTwoInstructionsAgainstTheBudget) {
  EngineOptions options;
  options.instruction_budget = 4;
  EXPECT_EQ(value_of(run_text("mov %r1, 1\nmov %r0, %r1\nadd %r0, 1\nexit", nullptr, options)), 2u);
  options.instruction_budget = 2;
  auto r = run_text("mov %r1, 1\nmov %r0, %r1\nadd %r0, 1\nexit", nullptr, options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kBudgetExhausted);
  EXPECT_EQ(r.error().insn, 2u);  // the ALU half of the pair is the instruction over budget
}

TEST(Interpreter, KeepsEveryCheckWhateverTheVerifierProved) {
  // The interpreter is the safety net: proven-safe facts and bounds_checks=false only affect the JIT.
  // (Unchecked handlers measured no faster here: see docs/architecture.md.)
  EngineOptions options;
  options.proven_safe = {true, true};
  options.bounds_checks = false;
  auto oob = run_text("ldxdw %r0, [%r10+8]\nexit", nullptr, options);
  ASSERT_FALSE(oob.ok());
  EXPECT_EQ(oob.error().code, ErrorCode::kOutOfBounds);
  EXPECT_EQ(value_of(run_text("stdw [%r10-8], 41\nldxdw %r0, [%r10-8]\nexit", nullptr, options)), 41u);
}

TEST(Interpreter, LocalCallsHaveTheirOwnFrames) {
  // The callee writes its own frame; the caller's slot at the same offset is untouched, and r6-r9 and
  // r10 are restored on return.
  const char* text =
      "stdw [%r10-8], 11\nmov %r6, 6\ncall local f\nldxdw %r1, [%r10-8]\nadd %r0, %r1\nadd %r0, %r6\nexit\n"
      "f: stdw [%r10-8], 99\nmov %r6, 0\nldxdw %r0, [%r10-8]\nexit";
  EXPECT_EQ(value_of(run_text(text)), 99u + 11u + 6u);
  // A callee may read its caller's frame through a pointer.
  EXPECT_EQ(value_of(run_text("stdw [%r10-8], 5\nmov %r1, %r10\ncall local f\nexit\nf: ldxdw %r0, [%r1-8]\nexit")), 5u);
}

TEST(Interpreter, CallDepthLimit) {
  // Seven nested calls (eight frames) are allowed; the eighth nested call fails.
  std::string ok = "call local f1\nexit\n";
  for (int i = 1; i < 7; ++i) {
    ok += "f" + std::to_string(i) + ": call local f" + std::to_string(i + 1) + "\nexit\n";
  }
  ok += "f7: mov %r0, 7\nexit\n";
  EXPECT_EQ(value_of(run_text(ok)), 7u);
  auto recursive = run_text("f: call local f\nexit");
  ASSERT_FALSE(recursive.ok());
  EXPECT_EQ(recursive.error().code, ErrorCode::kCallDepth);
  EXPECT_NE(recursive.error().message.find("call depth exceeds 8 frames"), std::string::npos);
}

TEST(Interpreter, HelpersAndUnwind) {
  HelperTable helpers;
  ASSERT_TRUE(add_conformance_helpers(helpers).ok());
  EngineOptions options;
  options.helpers = &helpers;
  EXPECT_EQ(
      value_of(run_text("mov %r1, 1\nmov %r2, 2\nmov %r3, 3\nmov %r4, 4\nmov %r5, 5\ncall 0\nexit", nullptr, options)),
      0x0102030405u);
  EXPECT_EQ(value_of(run_text("lddw %r1, 1000000000000\ncall 3\nexit", nullptr, options)), 1000000u);
  EXPECT_EQ(value_of(run_text("mov %r1, 0\ncall 5\nmov %r0, 2\nexit", nullptr, options)), 0u);
  EXPECT_EQ(value_of(run_text("mov %r1, 3\ncall 5\nmov %r0, 2\nexit", nullptr, options)), 2u);
  EXPECT_EQ(value_of(run_text("mov %r1, 0\nmov %r2, 5\ncall %r2\nmov %r0, 2\nexit", nullptr, options)), 0u);
  // memfrob on the stack, then strcmp_ext of two stack strings.
  EXPECT_EQ(value_of(run_text("stdw [%r10-8], 0x4b\nmov %r1, %r10\nadd %r1, -8\nmov %r2, 1\ncall 1\n"
                              "ldxb %r0, [%r10-8]\nexit",
                              nullptr, options)),
            0x4bu ^ 42u);
  EXPECT_EQ(value_of(run_text("stw [%r10-8], 0x636261\nstw [%r10-16], 0x636261\nmov %r1, %r10\nadd %r1, -8\n"
                              "mov %r2, %r10\nadd %r2, -16\ncall 4\nexit",
                              nullptr, options)),
            0u);
  // A helper given a pointer outside the program's memory fails the run instead of faulting.
  auto wild = run_text("mov %r1, 4096\nmov %r2, 8\ncall 1\nexit", nullptr, options);
  ASSERT_FALSE(wild.ok());
  EXPECT_EQ(wild.error().code, ErrorCode::kHelperFailed);
  EXPECT_NE(wild.error().message.find("memfrob: buffer is outside"), std::string::npos);
}

TEST(Interpreter, UnknownHelpersAndCallx) {
  auto unknown = run_text("call 77\nexit");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().message, "instruction 0 (call 77): unknown helper 77");
  HelperTable helpers;
  ASSERT_TRUE(add_conformance_helpers(helpers).ok());
  EngineOptions options;
  options.helpers = &helpers;
  auto bad_callx = run_text("mov %r3, 99\ncall %r3\nexit", nullptr, options);
  ASSERT_FALSE(bad_callx.ok());
  EXPECT_EQ(bad_callx.error().code, ErrorCode::kBadCall);
  EXPECT_NE(bad_callx.error().message.find("callx to unknown helper 99"), std::string::npos);
  // A prototype-only entry (no function) is not callable either.
  HelperTable prototypes;
  ASSERT_TRUE(prototypes.add({7, "proto_only", nullptr, HelperPrototype{}}).ok());
  EngineOptions proto_options;
  proto_options.helpers = &prototypes;
  auto null_fn = run_text("mov %r3, 7\ncall %r3\nexit", nullptr, proto_options);
  ASSERT_FALSE(null_fn.ok());
  EXPECT_EQ(null_fn.error().code, ErrorCode::kBadCall);
  auto kfunc = run_text("call kfunc 5\nexit");
  ASSERT_FALSE(kfunc.ok());
  EXPECT_EQ(kfunc.error().code, ErrorCode::kUnsupported);
}

TEST(Interpreter, PseudoLddwNeedsAResolver) {
  auto r = run_text("lddw %r1, map_fd(3)\nmov %r0, 0\nexit");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("instruction 0 (lddw %r1, map_fd(3)): nothing resolves this pseudo source"),
            std::string::npos);
  EngineOptions options;
  options.resolve_lddw = [](const Instruction& first, const Instruction& second, size_t) -> Result<uint64_t> {
    return static_cast<uint64_t>(first.imm) * 1000 + static_cast<uint64_t>(second.imm);
  };
  EXPECT_EQ(value_of(run_text("lddw %r0, map_value(3, 16)\nexit", nullptr, options)), 3016u);
}

TEST(Interpreter, LegacyPacketLoads) {
  std::vector<uint8_t> packet = {0x12, 0x34, 0x56, 0x78, 0x9a};
  EXPECT_EQ(value_of(run_text("ldabsw 0\nexit", &packet)), 0x12345678u);
  EXPECT_EQ(value_of(run_text("ldabsh 3\nexit", &packet)), 0x789au);
  EXPECT_EQ(value_of(run_text("mov %r3, 2\nldindb %r3, 2\nexit", &packet)), 0x9au);
  // A load past the end of the packet ends the program with 0, as in the kernel.
  EXPECT_EQ(value_of(run_text("mov %r0, 5\nldabsw 2\nmov %r0, 9\nexit", &packet)), 0u);
  EXPECT_EQ(value_of(run_text("mov %r3, -1\nldindb %r3, 0\nmov %r0, 9\nexit", &packet)), 0u);
}

TEST(Interpreter, Atomics) {
  EXPECT_EQ(value_of(run_text("stdw [%r10-8], 5\nmov %r1, 3\nlock fetch add [%r10-8], %r1\nldxdw %r0, [%r10-8]\n"
                              "lsh %r0, 8\nor %r0, %r1\nexit")),
            (8u << 8) | 5u);
  auto misaligned = run_text("mov %r1, 1\nlock add [%r10-12], %r1\nexit");
  ASSERT_FALSE(misaligned.ok());
  EXPECT_NE(misaligned.error().message.find("misaligned 8-byte atomic access"), std::string::npos);
}

TEST(Interpreter, ConcurrentRunsShareNothing) {
  auto engine = create_engine(EngineKind::kInterpreter,
                              test::must_assemble("ldxdw %r0, [%r1]\nstdw [%r10-8], 0\nmov %r2, 0\n"
                                                  "loop: add %r2, 1\nstxdw [%r10-8], %r2\njlt %r2, 1000, loop\n"
                                                  "ldxdw %r3, [%r10-8]\nadd %r0, %r3\nexit"));
  ASSERT_TRUE(engine.ok());
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (uint64_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        uint64_t input = t * 1000000 + static_cast<uint64_t>(i);
        auto r = (*engine)->run(&input, sizeof(input));
        if (!r || *r != input + 1000) {
          ++wrong;
        }
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_EQ(wrong.load(), 0);
}

// Engine::run follows tail calls; the helper sees how many have happened in this run.
const Engine* g_tail_target = nullptr;
uint64_t tail_call_helper(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, RunContext* rc) {
  if (rc->tail_calls_done >= kMaxTailCalls) {
    return static_cast<uint64_t>(rc->tail_calls_done);
  }
  rc->tail_call(g_tail_target);
  return 0;
}

TEST(Interpreter, TailCallsReplaceTheProgram) {
  HelperTable helpers;
  ASSERT_TRUE(helpers.add({100, "tail", tail_call_helper, HelperPrototype{}}).ok());
  EngineOptions options;
  options.helpers = &helpers;
  auto target = create_engine(EngineKind::kInterpreter, test::must_assemble("mov %r0, 42\nexit"), options);
  ASSERT_TRUE(target.ok());
  g_tail_target = target->get();
  auto caller = create_engine(EngineKind::kInterpreter, test::must_assemble("call 100\nmov %r0, 2\nexit"), options);
  ASSERT_TRUE(caller.ok());
  EXPECT_EQ(value_of((*caller)->run(nullptr, 0)), 42u);
  // A program that tail-calls itself stops after kMaxTailCalls and falls through.
  auto self = create_engine(EngineKind::kInterpreter, test::must_assemble("call 100\nexit"), options);
  ASSERT_TRUE(self.ok());
  g_tail_target = self->get();
  EXPECT_EQ(value_of((*self)->run(nullptr, 0)), static_cast<uint64_t>(kMaxTailCalls));
}

TEST(Interpreter, LargeStackFrames) {
  EngineOptions options;
  options.stack_size = 4096;
  EXPECT_EQ(value_of(run_text("stdw [%r10-4096], 3\nldxdw %r0, [%r10-4096]\nexit", nullptr, options)), 3u);
  options.stack_size = 12;
  auto bad = create_engine(EngineKind::kInterpreter, test::must_assemble("exit"), options);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "stack size 12 must be a non-zero multiple of 8 up to 1 MiB");
}

}  // namespace
}  // namespace bpfrt
