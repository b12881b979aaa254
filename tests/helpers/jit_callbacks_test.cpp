// Callbacks (bpf_loop, bpf_for_each_map_elem) and unwinding through JIT'd code: the JIT must end
// every callback scenario exactly as the interpreter does (result, error code, instruction, message),
// including with an instruction budget, and _Unwind_Backtrace from a helper must walk through JIT
// frames to the code that ran the program.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <unwind.h>

#include "helper_test_env.hpp"
#include "vm/jit/jit_engine.hpp"

namespace bpfrt {
namespace {

using test::HelperEnv;

struct Outcome {
  bool ok = false;
  uint64_t r0 = 0;
  ErrorCode code{};
  std::optional<size_t> insn;
  std::string message;
};

Outcome run_with(HelperEnv& env, EngineKind kind, const std::string& text, uint64_t budget) {
  EngineOptions o = env.options();
  o.instruction_budget = budget;
  auto engine = create_engine(kind, test::must_assemble(text), o);
  EXPECT_TRUE(engine.ok()) << (engine.ok() ? "" : engine.error().message);
  if (!engine.ok()) {
    return {};
  }
  auto r = (*engine)->run(RunArgs{});
  if (r.ok()) {
    return {true, *r, {}, std::nullopt, {}};
  }
  return {false, 0, r.error().code, r.error().insn, r.error().message};
}

// Runs `text` in both engines and expects the same outcome; returns it.
Outcome same_in_both(HelperEnv& env, const std::string& text, uint64_t budget = 0) {
  const Outcome a = run_with(env, EngineKind::kInterpreter, text, budget);
  const Outcome b = run_with(env, EngineKind::kJit, text, budget);
  EXPECT_EQ(a.ok, b.ok) << text << "\ninterp: " << a.message << "\njit: " << b.message;
  EXPECT_EQ(a.r0, b.r0) << text;
  EXPECT_EQ(a.code, b.code) << text;
  EXPECT_EQ(a.insn, b.insn) << text << "\ninterp: " << a.message << "\njit: " << b.message;
  EXPECT_EQ(a.message, b.message) << text;
  return a;
}

// Sums i over bpf_loop(10) in a stack slot; the callback makes a local call too.
const char* kLoopWithLocalCall = R"(
    stdw [%r10-8], 0
    mov %r1, 10
    lddw %r2, func(cb)
    mov %r3, %r10
    add %r3, -8
    mov %r4, 0
    call 181
    ldxdw %r0, [%r10-8]
    exit
  cb:
    mov %r6, %r2
    call local add_one
    ldxdw %r3, [%r6]
    add %r3, %r0
    stxdw [%r6], %r3
    mov %r0, 0
    exit
  add_one:
    mov %r0, %r1
    add %r0, 1
    exit
  )";

TEST(JitCallbacks, MatchTheInterpreterWithAndWithoutABudget) {
  HelperEnv env;
  const Outcome full = same_in_both(env, kLoopWithLocalCall);
  ASSERT_TRUE(full.ok) << full.message;
  EXPECT_EQ(full.r0, 55u);
  // Budgets that run out before, inside and after the callbacks: the same instruction fails.
  for (uint64_t budget : {3u, 8u, 9u, 20u, 57u, 58u, 100u, 117u, 118u, 119u, 1000u}) {
    SCOPED_TRACE(budget);
    same_in_both(env, kLoopWithLocalCall, budget);
  }
}

TEST(JitCallbacks, EndingInsideACallback) {
  HelperEnv env;
  // A helper failing inside the callback (bpf_loop flags must be 0 -> fine; a bad map pointer fails).
  const Outcome helper_fails = same_in_both(env, R"(
    mov %r1, 3
    lddw %r2, func(cb)
    mov %r3, 0
    mov %r4, 0
    call 181
    exit
  cb:
    mov %r1, 12345
    mov %r2, %r10
    add %r2, -8
    stdw [%r10-8], 0
    call 1
    mov %r0, 0
    exit
  )");
  EXPECT_FALSE(helper_fails.ok);
  EXPECT_EQ(helper_fails.code, ErrorCode::kHelperFailed);
  EXPECT_EQ(helper_fails.insn, std::optional<size_t>(11)) << helper_fails.message;
  // A nested callback's fault ends every level, naming the innermost instruction.
  const Outcome nested_fault = same_in_both(env, R"(
    mov %r1, 2
    lddw %r2, func(outer)
    mov %r3, 0
    mov %r4, 0
    call 181
    exit
  outer:
    mov %r1, 2
    lddw %r2, func(inner)
    mov %r3, 0
    mov %r4, 0
    call 181
    mov %r0, 0
    exit
  inner:
    lddw %r1, 0x10
    ldxdw %r0, [%r1]
    exit
  )");
  EXPECT_FALSE(nested_fault.ok);
  EXPECT_EQ(nested_fault.code, ErrorCode::kOutOfBounds);
  EXPECT_EQ(nested_fault.insn, std::optional<size_t>(17)) << nested_fault.message;
  // Local calls inside callbacks count toward the frame limit: 1 main + 1 callback + 6 calls fit,
  // one more does not.
  auto chain = [](int calls) {
    std::string text = "mov %r1, 1\nlddw %r2, func(cb)\nmov %r3, 0\nmov %r4, 0\ncall 181\nexit\ncb:\n";
    for (int i = 0; i < calls; ++i) {
      text += fmt::format("call local f{}\nexit\nf{}:\n", i, i);
    }
    return text + "mov %r0, 0\nexit\n";
  };
  EXPECT_TRUE(same_in_both(env, chain(6)).ok);
  const Outcome too_deep = same_in_both(env, chain(7));
  EXPECT_EQ(too_deep.code, ErrorCode::kCallDepth);
  // A value that names no callback: bad call at the helper call.
  const Outcome bad = same_in_both(env, "mov %r1, 1\nlddw %r2, 0x7fffffff\nmov %r3, 0\nmov %r4, 0\ncall 181\nexit");
  EXPECT_EQ(bad.code, ErrorCode::kBadCall);
  EXPECT_EQ(bad.insn, std::optional<size_t>(5));
}

TEST(JitCallbacks, ForEachMapElemStopsEarly) {
  HelperEnv env;
  MapSpec spec;
  spec.type = MapType::kArray;
  spec.key_size = 4;
  spec.value_size = 8;
  spec.max_entries = 6;
  env.add_map(spec);
  const Outcome o = same_in_both(env, R"(
    lddw %r1, map_fd(0)
    lddw %r2, func(cb)
    mov %r3, 0
    mov %r4, 0
    call 164
    exit
  cb:
    ldxw %r0, [%r2]
    jeq %r0, 2, +2
    mov %r0, 0
    exit
    mov %r0, 1
    exit
  )");
  ASSERT_TRUE(o.ok) << o.message;
  EXPECT_EQ(o.r0, 3u);  // elements 0, 1 and 2 visited
}

// A helper that walks the stack with the DWARF unwinder and records every return address.
std::vector<uint64_t> g_walked;

_Unwind_Reason_Code record(struct _Unwind_Context* ctx, void*) {
  g_walked.push_back(_Unwind_GetIP(ctx));
  return _URC_NO_REASON;
}

uint64_t walk_helper(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, RunContext*) {
  g_walked.clear();
  _Unwind_Backtrace(record, nullptr);
  return g_walked.size();
}

__attribute__((noinline)) Result<uint64_t> run_from_here(const Engine& engine) {
  return engine.run(RunArgs{});
}

TEST(JitUnwind, TheUnwinderWalksThroughJitFrames) {
  HelperTable table;
  ASSERT_TRUE(table.add({7000, "walk", walk_helper, {}}).ok());
  EngineOptions o;
  o.helpers = &table;
  // Through the main frame, a local call and (in the second program) a callback frame.
  const char* local = "call local f\nexit\nf:\nmov %r6, 1\ncall 7000\nexit";
  auto engine = create_engine(EngineKind::kJit, test::must_assemble(local), o);
  ASSERT_TRUE(engine.ok()) << engine.error().message;
  auto r = run_from_here(**engine);
  ASSERT_TRUE(r.ok()) << r.error().message;
  // The walk passes the JIT code (the main frame's call into the local function, and the local
  // function's call of the helper) and goes on well beyond it: execute, Engine::run, run_from_here,
  // this test, gtest. Without unwind information it would end at the first JIT frame.
  const auto code = static_cast<const JitEngine&>(**engine).machine_code();
  const auto lo = reinterpret_cast<uint64_t>(code.data());
  size_t last_jit = SIZE_MAX;
  for (size_t k = 0; k < g_walked.size(); ++k) {
    if (g_walked[k] > lo && g_walked[k] <= lo + code.size()) {
      last_jit = k;
    }
  }
  ASSERT_NE(last_jit, SIZE_MAX) << "no frame in the JIT code among " << g_walked.size();
  EXPECT_GE(g_walked.size(), last_jit + 5) << g_walked.size() << " frames walked";
}

TEST(JitUnwind, ThroughCallbackFrames) {
  HelperEnv env;
  // bpf_get_stack with BPF_F_USER_STACK from inside a bpf_loop callback: the unwinder passes the
  // callback entry, bpf_loop's frames and the main JIT frame, and records the test's own frames.
  const std::string text = R"(
    stdw [%r10-8], 0
    mov %r1, 1
    lddw %r2, func(cb)
    mov %r3, %r10
    add %r3, -8
    mov %r4, 0
    call 181
    ldxdw %r0, [%r10-8]
    exit
  cb:
    mov %r6, %r2
    mov %r1, 0
    mov %r2, %r10
    add %r2, -256
    mov %r3, 256
    mov %r4, 256
    call 67
    stxdw [%r6], %r0
    mov %r0, 0
    exit
  )";
  auto jit = env.run(EngineKind::kJit, text);
  ASSERT_TRUE(jit.ok()) << jit.error().message;
  EXPECT_GE(static_cast<int64_t>(*jit), 24);  // at least three frames of the caller (not an error)
}

}  // namespace
}  // namespace bpfrt
