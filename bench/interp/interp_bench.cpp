// Interpreter speed in nanoseconds per executed instruction on programs that stress ALU work,
// memory accesses and branches. The `insn_time` counter is seconds per executed instruction (so
// "850p" reads 0.85 ns). Run: build/bench/interp/bench_interp
#include <string>

#include <benchmark/benchmark.h>

#include "bpfrt/engine.hpp"

namespace {

using bpfrt::EngineKind;

struct BenchProgram {
  std::string text;
  uint64_t insns_per_run;  // instructions executed by one run
};

constexpr uint64_t kIterations = 100000;

// 1000 ALU instructions in a row, cycling through operations and registers.
BenchProgram straight_line_alu() {
  std::string text = "mov %r0, 1\nmov %r1, 2\nmov %r2, 3\nmov %r3, 4\nmov %r4, 5\nmov %r5, 6\n";
  const char* ops[] = {"add", "xor", "sub", "or", "lsh", "and", "rsh", "mul"};
  for (int i = 0; i < 1000; ++i) {
    const int dst = i % 6;
    const int src = (i + 1) % 6;
    const char* op = ops[i % 8];
    if (std::string(op) == "lsh" || std::string(op) == "rsh") {
      text += std::string(op) + " %r" + std::to_string(dst) + ", " + std::to_string(1 + i % 7) + "\n";
    } else {
      text += std::string(op) + " %r" + std::to_string(dst) + ", %r" + std::to_string(src) + "\n";
    }
  }
  text += "exit\n";
  return {text, 6 + 1000 + 1};
}

// A counted loop of six ALU instructions and the back edge.
BenchProgram alu_loop() {
  const std::string text =
      "mov %r0, 0\nmov %r1, 0\nlddw %r2, " + std::to_string(kIterations) +
      "\nloop:\nadd %r0, %r1\nxor %r0, 0x55\nadd %r1, 1\nlsh %r0, 1\nrsh %r0, 1\njlt %r1, %r2, loop\nexit\n";
  return {text, 4 + kIterations * 6 + 1};
}

// Loads from the context, stores and reloads through the stack.
BenchProgram memory_loop() {
  const std::string text =
      "mov %r0, 0\nmov %r2, 0\nloop:\nldxdw %r3, [%r1+0]\nadd %r3, %r2\nstxdw [%r10-8], %r3\nldxdw %r4, [%r10-8]\n"
      "stxw [%r1+8], %r4\nldxw %r5, [%r1+8]\nadd %r0, %r5\nadd %r2, 1\njlt %r2, " +
      std::to_string(kIterations) + ", loop\nexit\n";
  return {text, 2 + kIterations * 9 + 1};
}

// Data-dependent branches: odd and even iterations take different paths.
BenchProgram branch_loop() {
  const std::string text =
      "mov %r0, 0\nmov %r2, 0\nloop:\nmov %r3, %r2\nand %r3, 1\njeq %r3, 0, even\nadd %r0, 3\nja next\n"
      "even:\nxor %r0, %r2\nnext:\nadd %r2, 1\njlt %r2, " +
      std::to_string(kIterations) + ", loop\nexit\n";
  // Even iterations: mov, and, jeq, xor, add, jlt = 6; odd: mov, and, jeq, add, ja, add, jlt = 7.
  return {text, 2 + (kIterations / 2) * 6 + (kIterations / 2) * 7 + 1};
}

void run_benchmark(benchmark::State& state, const BenchProgram& bench) {
  auto program = bpfrt::assemble_program(bench.text);
  if (!program) {
    state.SkipWithError(program.error().message.c_str());
    return;
  }
  auto engine = bpfrt::create_engine(EngineKind::kInterpreter, std::move(*program));
  if (!engine) {
    state.SkipWithError(engine.error().message.c_str());
    return;
  }
  uint64_t ctx[2] = {7, 0};
  for (auto _ : state) {
    auto r0 = (*engine)->run(ctx, sizeof(ctx));
    benchmark::DoNotOptimize(r0);
  }
  state.counters["insn_time"] = benchmark::Counter(static_cast<double>(bench.insns_per_run),
                                                   benchmark::Counter::kIsIterationInvariantRate |
                                                       benchmark::Counter::kInvert);
}

// The fixed cost of one run: entry, stack set-up and return, with two instructions executed.
BenchProgram empty_run() { return {"mov %r0, 0\nexit\n", 2}; }

void BM_EmptyRun(benchmark::State& state) { run_benchmark(state, empty_run()); }
void BM_StraightLineAlu(benchmark::State& state) { run_benchmark(state, straight_line_alu()); }
void BM_AluLoop(benchmark::State& state) { run_benchmark(state, alu_loop()); }
void BM_MemoryLoop(benchmark::State& state) { run_benchmark(state, memory_loop()); }
void BM_BranchLoop(benchmark::State& state) { run_benchmark(state, branch_loop()); }

BENCHMARK(BM_EmptyRun);
BENCHMARK(BM_StraightLineAlu);
BENCHMARK(BM_AluLoop)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MemoryLoop)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_BranchLoop)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
