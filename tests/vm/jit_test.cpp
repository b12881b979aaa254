// The JIT engine's behaviour: the interpreter's contract (arguments, stack frames, faults, budget,
// helpers, callx, tail calls, legacy packet loads, large frames, concurrency), unchecked and
// proven-safe modes, and the W^X property of its code pages.
#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "bpfrt/engine.hpp"

#include "helpers/conformance_helpers.hpp"
#include "test_util.hpp"
#include "vm/jit/jit_engine.hpp"

namespace bpfrt {
namespace {

Result<uint64_t> jit_run(const std::string& text, std::vector<uint8_t>* memory = nullptr, EngineOptions options = {}) {
  return test::run_text(text, memory, std::move(options), EngineKind::kJit);
}

uint64_t value_of(const Result<uint64_t>& r) {
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : 0xdeadbeef;
}

TEST(Jit, ArgumentsAndStack) {
  std::vector<uint8_t> mem(24);
  EXPECT_EQ(value_of(jit_run("mov %r0, %r2\nexit", &mem)), 24u);
  EXPECT_EQ(value_of(jit_run("mov %r0, %r1\nexit", &mem)), reinterpret_cast<uint64_t>(mem.data()));
  EXPECT_EQ(value_of(jit_run("stdw [%r10-512], 7\nldxdw %r0, [%r10-512]\nexit")), 7u);
  EXPECT_EQ(value_of(jit_run("mov %r0, %r10\nand %r0, 15\nexit")), 0u);
  EXPECT_EQ(value_of(jit_run("mov %r0, %r1\nexit")), 0u);
  // Registers never written read as 0, and the stack starts zeroed.
  EXPECT_EQ(value_of(jit_run("mov %r0, %r3\nor %r0, %r4\nor %r0, %r5\nor %r0, %r6\nor %r0, %r9\nexit")), 0u);
  EXPECT_EQ(value_of(jit_run("ldxdw %r0, [%r10-8]\nldxdw %r1, [%r10-512]\nor %r0, %r1\nexit")), 0u);
}

TEST(Jit, OutOfBoundsAccessNamesTheInstruction) {
  std::vector<uint8_t> mem(8);
  auto r = jit_run("mov %r0, 0\nldxdw %r0, [%r1+4]\nexit", &mem);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kOutOfBounds);
  EXPECT_EQ(r.error().insn, 1u);
  EXPECT_EQ(r.error().message,
            fmt::format("instruction 1 (ldxdw %r0, [%r1+4]): out-of-bounds read of 8 bytes at 0x{:x}",
                        reinterpret_cast<uint64_t>(mem.data()) + 4));
  EXPECT_FALSE(jit_run("stdw [%r10-520], 1\nexit").ok());
  EXPECT_FALSE(jit_run("ldxb %r0, [%r10]\nexit").ok());
  EXPECT_FALSE(jit_run("mov %r1, 0\nldxw %r0, [%r1]\nexit").ok());
  EXPECT_FALSE(jit_run("lddw %r1, 0xffffffffffffffff\nldxb %r0, [%r1]\nexit").ok());
  EXPECT_FALSE(jit_run("mov %r1, %r10\nlddw %r2, 0x8000000000000000\nadd %r1, %r2\nldxdw %r0, [%r1]\nexit").ok());
  // An access that starts inside the context and runs past its end.
  auto straddle = jit_run("ldxdw %r0, [%r1+1]\nexit", &mem);
  ASSERT_FALSE(straddle.ok());
  EXPECT_EQ(straddle.error().code, ErrorCode::kOutOfBounds);
  // A callee may read its caller's frame above its own r10, but not past the top of the stack.
  EXPECT_EQ(value_of(jit_run("stdw [%r10-8], 5\ncall local f\nexit\nf: ldxdw %r0, [%r10+504]\nexit")), 5u);
  EXPECT_FALSE(jit_run("call local f\nexit\nf: ldxdw %r0, [%r10+512]\nexit").ok());
}

TEST(Jit, MisalignedAtomicsFail) {
  auto misaligned = jit_run("mov %r1, 1\nlock add [%r10-12], %r1\nexit");
  ASSERT_FALSE(misaligned.ok());
  EXPECT_NE(misaligned.error().message.find("instruction 1 (lock add [%r10-12], %r1): misaligned 8-byte atomic access"),
            std::string::npos)
      << misaligned.error().message;
  std::vector<uint8_t> mem(16);
  auto ctx = jit_run("mov %r2, 1\nlock add32 [%r1+2], %r2\nexit", &mem);
  ASSERT_FALSE(ctx.ok());
  EXPECT_EQ(ctx.error().message, fmt::format("instruction 1 (lock add32 [%r1+2], %r2): misaligned 4-byte atomic access "
                                             "at 0x{:x}",
                                             reinterpret_cast<uint64_t>(mem.data()) + 2));
}

TEST(Jit, ReadOnlyContextAndRegisteredRegions) {
  std::vector<uint8_t> mem(8, 1);
  EngineOptions options;
  options.ctx_writable = false;
  EXPECT_EQ(value_of(jit_run("ldxb %r0, [%r1]\nexit", &mem, options)), 1u);
  auto write = jit_run("stb [%r1], 1\nexit", &mem, options);
  ASSERT_FALSE(write.ok());
  EXPECT_NE(write.error().message.find("out-of-bounds write of 1 bytes"), std::string::npos);

  std::vector<uint64_t> table = {10, 20, 30};
  EngineOptions regions;
  regions.regions.push_back(MemoryRegion{reinterpret_cast<uint64_t>(table.data()), 24, false});
  const std::string base = "lddw %r1, " + std::to_string(reinterpret_cast<uint64_t>(table.data())) + "\n";
  EXPECT_EQ(value_of(jit_run(base + "ldxdw %r0, [%r1+16]\nexit", nullptr, regions)), 30u);
  EXPECT_FALSE(jit_run(base + "ldxdw %r0, [%r1+17]\nexit", nullptr, regions).ok());
  EXPECT_FALSE(jit_run(base + "stdw [%r1], 1\nexit", nullptr, regions).ok());
  regions.regions[0].writable = true;
  EXPECT_EQ(value_of(jit_run(base + "stdw [%r1+8], 7\nmov %r0, 0\nexit", nullptr, regions)), 0u);
  EXPECT_EQ(table[1], 7u);
}

TEST(Jit, InstructionBudget) {
  EngineOptions options;
  options.instruction_budget = 1000;
  auto endless = jit_run("mov %r0, 0\nloop: add %r0, 1\nja loop", nullptr, options);
  ASSERT_FALSE(endless.ok());
  EXPECT_EQ(endless.error().code, ErrorCode::kBudgetExhausted);
  // mov, then add and ja in turn: the 1001st instruction, the one that does not run, is a ja.
  EXPECT_EQ(endless.error().insn, 2u);
  EXPECT_EQ(endless.error().message, "instruction 2 (ja -2): instruction budget of 1000 exhausted");
  options.instruction_budget = 3;
  EXPECT_EQ(value_of(jit_run("mov %r0, 1\nadd %r0, 1\nexit", nullptr, options)), 2u);
  options.instruction_budget = 2;
  auto short_budget = jit_run("mov %r0, 1\nadd %r0, 1\nexit", nullptr, options);
  ASSERT_FALSE(short_budget.ok());
  EXPECT_EQ(short_budget.error().insn, 2u);
  // A store before the point where the budget runs out still happens.
  std::vector<uint8_t> mem(8);
  auto partial = jit_run("stb [%r1], 9\nstb [%r1+1], 9\nexit", &mem, options);
  ASSERT_FALSE(partial.ok());
  EXPECT_EQ(mem[0], 9);
  EXPECT_EQ(mem[1], 9);
}

TEST(Jit, LocalCallsHaveTheirOwnFrames) {
  const char* text =
      "stdw [%r10-8], 11\nmov %r6, 6\ncall local f\nldxdw %r1, [%r10-8]\nadd %r0, %r1\nadd %r0, %r6\nexit\n"
      "f: stdw [%r10-8], 99\nmov %r6, 0\nmov %r7, 1\nmov %r8, 2\nmov %r9, 3\nldxdw %r0, [%r10-8]\nexit";
  EXPECT_EQ(value_of(jit_run(text)), 99u + 11u + 6u);
  EXPECT_EQ(value_of(jit_run("stdw [%r10-8], 5\nmov %r1, %r10\ncall local f\nexit\nf: ldxdw %r0, [%r1-8]\nexit")), 5u);
  // A new frame is zeroed even if an earlier call left data there.
  EXPECT_EQ(value_of(jit_run("call local g\ncall local f\nexit\ng: stdw [%r10-8], 9\nexit\n"
                             "f: ldxdw %r0, [%r10-8]\nexit")),
            0u);
}

TEST(Jit, CallDepthLimit) {
  std::string ok = "call local f1\nexit\n";
  for (int i = 1; i < 7; ++i) {
    ok += "f" + std::to_string(i) + ": call local f" + std::to_string(i + 1) + "\nexit\n";
  }
  ok += "f7: mov %r0, 7\nexit\n";
  EXPECT_EQ(value_of(jit_run(ok)), 7u);
  auto recursive = jit_run("f: call local f\nexit");
  ASSERT_FALSE(recursive.ok());
  EXPECT_EQ(recursive.error().code, ErrorCode::kCallDepth);
  EXPECT_EQ(recursive.error().message, "instruction 0 (call local -1): call depth exceeds 8 frames");
}

TEST(Jit, HelpersStopsAndFailures) {
  HelperTable helpers;
  ASSERT_TRUE(add_conformance_helpers(helpers).ok());
  EngineOptions options;
  options.helpers = &helpers;
  EXPECT_EQ(
      value_of(jit_run("mov %r1, 1\nmov %r2, 2\nmov %r3, 3\nmov %r4, 4\nmov %r5, 5\ncall 0\nexit", nullptr, options)),
      0x0102030405u);
  EXPECT_EQ(value_of(jit_run("mov %r1, 0\ncall 5\nmov %r0, 2\nexit", nullptr, options)), 0u);
  EXPECT_EQ(value_of(jit_run("mov %r1, 3\ncall 5\nmov %r0, 2\nexit", nullptr, options)), 2u);
  // Stopping from inside a local call ends the whole program.
  EXPECT_EQ(
      value_of(jit_run("call local f\nmov %r0, 2\nexit\nf: mov %r1, 0\ncall 5\nmov %r0, 3\nexit", nullptr, options)),
      0u);
  // Helpers see the callee's frame as accessible (memfrob of a stack buffer inside a local call).
  EXPECT_EQ(value_of(jit_run("call local f\nexit\nf: stdw [%r10-8], 0x4b\nmov %r1, %r10\nadd %r1, -8\nmov %r2, 1\n"
                             "call 1\nldxb %r0, [%r10-8]\nexit",
                             nullptr, options)),
            0x4bu ^ 42u);
  auto wild = jit_run("mov %r1, 4096\nmov %r2, 8\ncall 1\nexit", nullptr, options);
  ASSERT_FALSE(wild.ok());
  EXPECT_EQ(wild.error().code, ErrorCode::kHelperFailed);
  EXPECT_EQ(wild.error().message,
            "instruction 2 (call 1): helper failed: memfrob: buffer is outside the program's memory");
  // callx: an id looked up at run time.
  EXPECT_EQ(value_of(jit_run("mov %r1, 9\nmov %r2, 3\ncall %r2\nexit", nullptr, options)), 3u);
  auto bad = jit_run("mov %r3, 99\ncall %r3\nexit", nullptr, options);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kBadCall);
  EXPECT_EQ(bad.error().message, "instruction 1 (call %r3): callx to unknown helper 99");
  auto negative = jit_run("mov %r3, -1\ncall %r3\nexit", nullptr, options);
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.error().message, "instruction 1 (call %r3): callx to unknown helper -1");
  auto huge = jit_run("lddw %r3, 0x100000003\ncall %r3\nexit", nullptr, options);
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.error().code, ErrorCode::kBadCall);
  auto unknown = jit_run("call 77\nexit");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().message, "instruction 0 (call 77): unknown helper 77");
  auto kfunc = jit_run("call kfunc 5\nexit");
  ASSERT_FALSE(kfunc.ok());
  EXPECT_EQ(kfunc.error().code, ErrorCode::kUnsupported);
}

// Helper ids beyond the in-code table go through the out-of-line lookup.
uint64_t add_one(uint64_t a, uint64_t, uint64_t, uint64_t, uint64_t, RunContext*) {
  return a + 1;
}

TEST(Jit, CallxToHelpersOutsideTheTable) {
  HelperTable helpers;
  ASSERT_TRUE(helpers.add({100000, "far", add_one, HelperPrototype{}}).ok());
  ASSERT_TRUE(helpers.add({-7, "negative", add_one, HelperPrototype{}}).ok());
  EngineOptions options;
  options.helpers = &helpers;
  EXPECT_EQ(value_of(jit_run("mov %r1, 41\nmov %r6, 100000\ncall %r6\nexit", nullptr, options)), 42u);
  EXPECT_EQ(value_of(jit_run("mov %r1, 1\nmov %r6, -7\ncall %r6\nexit", nullptr, options)), 2u);
  EXPECT_FALSE(jit_run("mov %r6, 5\ncall %r6\nexit", nullptr, options).ok());
}

const Engine* g_tail_target = nullptr;
uint64_t tail_call_helper(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, RunContext* rc) {
  if (rc->tail_calls_done >= kMaxTailCalls) {
    return static_cast<uint64_t>(rc->tail_calls_done);
  }
  rc->tail_call(g_tail_target);
  return 0;
}

TEST(Jit, TailCallsReplaceTheProgram) {
  HelperTable helpers;
  ASSERT_TRUE(helpers.add({100, "tail", tail_call_helper, HelperPrototype{}}).ok());
  EngineOptions options;
  options.helpers = &helpers;
  for (EngineKind target_kind : {EngineKind::kJit, EngineKind::kInterpreter}) {
    auto target = create_engine(target_kind, test::must_assemble("mov %r0, 42\nexit"), options);
    ASSERT_TRUE(target.ok());
    g_tail_target = target->get();
    auto caller = create_engine(EngineKind::kJit,
                                test::must_assemble("call local f\nmov %r0, 2\nexit\n"
                                                    "f: call 100\nmov %r0, 3\nexit"),
                                options);
    ASSERT_TRUE(caller.ok());
    EXPECT_EQ(value_of((*caller)->run(nullptr, 0)), 42u);
  }
  auto self = create_engine(EngineKind::kJit, test::must_assemble("call 100\nexit"), options);
  ASSERT_TRUE(self.ok());
  g_tail_target = self->get();
  EXPECT_EQ(value_of((*self)->run(nullptr, 0)), static_cast<uint64_t>(kMaxTailCalls));
}

TEST(Jit, LegacyPacketLoads) {
  std::vector<uint8_t> packet = {0x12, 0x34, 0x56, 0x78, 0x9a};
  EXPECT_EQ(value_of(jit_run("ldabsw 0\nexit", &packet)), 0x12345678u);
  EXPECT_EQ(value_of(jit_run("ldabsh 3\nexit", &packet)), 0x789au);
  EXPECT_EQ(value_of(jit_run("ldabsb 4\nexit", &packet)), 0x9au);
  EXPECT_EQ(value_of(jit_run("mov %r3, 2\nldindb %r3, 2\nexit", &packet)), 0x9au);
  EXPECT_EQ(value_of(jit_run("mov %r0, 5\nldabsw 2\nmov %r0, 9\nexit", &packet)), 0u);
  EXPECT_EQ(value_of(jit_run("mov %r3, -1\nldindb %r3, 0\nmov %r0, 9\nexit", &packet)), 0u);
  EXPECT_EQ(value_of(jit_run("ldabsb -1\nmov %r0, 9\nexit", &packet)), 0u);
  EXPECT_EQ(value_of(jit_run("call local f\nmov %r0, 9\nexit\nf: ldabsw 4\nexit", &packet)), 0u);
  // RunArgs::packet takes precedence over the context.
  auto engine = create_engine(EngineKind::kJit, test::must_assemble("ldabsh 0\nexit"));
  ASSERT_TRUE(engine.ok());
  uint8_t ctx[4] = {1, 2, 3, 4};
  RunArgs args{ctx, sizeof(ctx), packet.data(), packet.size()};
  EXPECT_EQ(value_of((*engine)->run(args)), 0x1234u);
}

TEST(Jit, LargeAndOddStackFrames) {
  for (size_t frame : {size_t{8}, size_t{24}, size_t{520}, size_t{4096}, size_t{1000}}) {
    EngineOptions options;
    options.stack_size = frame;
    EXPECT_EQ(value_of(jit_run(fmt::format("ldxdw %r0, [%r10-{0}]\nstdw [%r10-{0}], 3\nldxdw %r1, [%r10-{0}]\n"
                                           "add %r0, %r1\nexit",
                                           frame),
                               nullptr, options)),
              3u)
        << frame;
    EXPECT_FALSE(jit_run(fmt::format("ldxb %r0, [%r10-{}]\nexit", frame + 1), nullptr, options).ok()) << frame;
    // Nested frames are zeroed too.
    EXPECT_EQ(value_of(jit_run(fmt::format("call local g\ncall local f\nexit\ng: stdw [%r10-{0}], 9\nexit\n"
                                           "f: ldxdw %r0, [%r10-{0}]\nexit",
                                           frame),
                               nullptr, options)),
              0u)
        << frame;
  }
}

TEST(Jit, ConcurrentRunsShareNothing) {
  auto engine = create_engine(EngineKind::kJit, test::must_assemble("ldxdw %r0, [%r1]\nstdw [%r10-8], 0\nmov %r2, 0\n"
                                                                    "loop: add %r2, 1\nstxdw [%r10-8], %r2\n"
                                                                    "jlt %r2, 1000, loop\nldxdw %r3, [%r10-8]\n"
                                                                    "add %r0, %r3\nexit"));
  ASSERT_TRUE(engine.ok());
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (uint64_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
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

const JitEngine& as_jit(const std::unique_ptr<Engine>& engine) {
  return dynamic_cast<const JitEngine&>(*engine);
}

TEST(Jit, StackAccessesWithKnownOffsetsAreNotChecked) {
  auto engine = create_engine(EngineKind::kJit, test::must_assemble("stdw [%r10-8], 1\nmov %r2, %r10\nadd %r2, -16\n"
                                                                    "stdw [%r2+0], 2\nldxdw %r0, [%r2+8]\n"
                                                                    "ldxdw %r3, [%r1+0]\nldxdw %r4, [%r10+0]\nexit"));
  ASSERT_TRUE(engine.ok());
  // [r10-8], [r2+0] and [r2+8] are inside the frame; [r1] and [r10+0] are checked.
  EXPECT_EQ(as_jit(*engine).stats().proven_accesses, 3u);
  EXPECT_EQ(as_jit(*engine).stats().checked_accesses, 2u);
}

TEST(Jit, UncheckedAndProvenSafeModes) {
  const char* text = "ldxdw %r0, [%r1+0]\nstxdw [%r1+8], %r0\nexit";
  std::vector<uint64_t> mem = {5, 0};
  EngineOptions unchecked;
  unchecked.bounds_checks = false;
  auto engine = create_engine(EngineKind::kJit, test::must_assemble(text), unchecked);
  ASSERT_TRUE(engine.ok());
  EXPECT_EQ(as_jit(*engine).stats().checked_accesses, 0u);
  EXPECT_EQ(value_of((*engine)->run(mem.data(), 16)), 5u);
  EXPECT_EQ(mem[1], 5u);

  EngineOptions proven;
  proven.proven_safe = {true, false, false};
  auto partly = create_engine(EngineKind::kJit, test::must_assemble(text), proven);
  ASSERT_TRUE(partly.ok());
  EXPECT_EQ(as_jit(*partly).stats().checked_accesses, 1u);
  // The unproven store is still checked.
  auto fault = (*partly)->run(mem.data(), 8);
  ASSERT_FALSE(fault.ok());
  EXPECT_EQ(fault.error().insn, 1u);

  proven.proven_safe = {true};
  auto wrong_size = create_engine(EngineKind::kJit, test::must_assemble(text), proven);
  ASSERT_FALSE(wrong_size.ok());
  EXPECT_EQ(wrong_size.error().message, "proven_safe has 1 entries but the program has 3 instruction slots");
}

// A lean leaf keeps BPF r6-r8 in caller-saved registers: nothing to push. With a division (which
// needs the scratch registers) they stay in callee-saved registers, pushed and popped. Both compute
// what the interpreter computes.
TEST(Jit, LeanLeavesKeepR6ToR8InCallerSavedRegisters) {
  const char* leaf =
      "mov %r6, 1\nmov %r7, 2\nmov %r8, 3\nmov %r0, %r6\nadd %r0, %r7\nadd %r0, %r8\nlsh %r0, %r7\nexit";
  const char* dividing =
      "mov %r6, 1\nmov %r7, 2\nmov %r8, 3\nmov %r0, %r6\nadd %r0, %r7\nadd %r0, %r8\ndiv %r0, %r6\nexit";
  for (const char* text : {leaf, dividing}) {
    auto jit = create_engine(EngineKind::kJit, test::must_assemble(text));
    auto interp = create_engine(EngineKind::kInterpreter, test::must_assemble(text));
    ASSERT_TRUE(jit.ok() && interp.ok());
    EXPECT_EQ(value_of((*jit)->run(nullptr, 0)), value_of((*interp)->run(nullptr, 0))) << text;
    const auto code = as_jit(*jit).machine_code();
    // push rbx, or push r13-r15 (REX.B 0x41 then 0x55-0x57)
    const bool pushes = code[0] == 0x53 || (code[0] == 0x41 && code[1] >= 0x55 && code[1] <= 0x57);
    EXPECT_EQ(pushes, text == dividing) << text;
  }
}

// The code pages are mapped read+execute, never writable.
TEST(Jit, CodePagesAreNeverWritableAndExecutable) {
  auto engine = create_engine(EngineKind::kJit, test::must_assemble("mov %r0, 1\nexit"));
  ASSERT_TRUE(engine.ok());
  const auto code = reinterpret_cast<uint64_t>(as_jit(*engine).machine_code().data());
  std::ifstream maps("/proc/self/maps");
  std::string line;
  bool found = false;
  while (std::getline(maps, line)) {
    std::istringstream in(line);
    std::string range, perms;
    in >> range >> perms;
    const uint64_t lo = std::stoull(range.substr(0, range.find('-')), nullptr, 16);
    const uint64_t hi = std::stoull(range.substr(range.find('-') + 1), nullptr, 16);
    if (code >= lo && code < hi) {
      found = true;
      EXPECT_EQ(perms.substr(0, 3), "r-x") << line;
    }
    if (perms.size() >= 3 && perms[1] == 'w' && perms[2] == 'x') {
      ADD_FAILURE() << "a writable and executable mapping exists: " << line;
    }
  }
  EXPECT_TRUE(found);
}

TEST(Jit, WithoutBmi2) {
  JitCompileOptions no_bmi2;
  no_bmi2.use_bmi2 = false;
  auto engine = create_jit_engine(test::must_assemble("mov %r0, 1\nmov %r4, 3\nmov %r1, 65\nlsh %r0, %r1\n"
                                                      "lsh %r4, %r4\nadd %r0, %r4\nmov32 %r2, -1\nmov %r3, 32\n"
                                                      "rsh32 %r2, %r3\nadd %r0, %r2\nexit"),
                                  {}, no_bmi2);
  ASSERT_TRUE(engine.ok());
  // 1 << 65 % 64 = 2; 3 << 3 = 24; 0xffffffff >> (32 % 32) = 0xffffffff
  EXPECT_EQ(value_of((*engine)->run(nullptr, 0)), uint64_t{2} + 24 + 0xffffffff);
}

}  // namespace
}  // namespace bpfrt
