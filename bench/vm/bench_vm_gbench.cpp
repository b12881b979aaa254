// The VM suite under Google Benchmark: one benchmark per program and engine, e.g.
// `build/bench/vm/bench_vm --benchmark_filter=parse_headers`. For the side-by-side table with ratios
// and geomeans, run `bpfrt bench vm`.
#include <cstdio>
#include <string>

#include <benchmark/benchmark.h>

#include "vm_bench.hpp"

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  bpfrt::bench::VmBenchOptions options;
  options.batch_ms = 0.1;  // calibration only; Google Benchmark times the runs
  auto cases = bpfrt::bench::make_vm_bench_cases(options);
  if (!cases) {
    std::fprintf(stderr, "bench_vm: %s\n", cases.error().message.c_str());
    return 1;
  }
  for (const auto& c : (*cases)->cases) {
    const std::string name = std::string(c.program->name) + "/" + std::string(bpfrt::bench::kVmEngineNames[c.engine]);
    benchmark::RegisterBenchmark(name.c_str(), [&c](benchmark::State& state) {
      for (auto _ : state) {
        benchmark::DoNotOptimize(c.run());
      }
    });
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
