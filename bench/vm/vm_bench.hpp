// The VM benchmark runner behind `bpfrt bench vm`: every program of the suite through native code,
// the bpfrt JIT (checked and unchecked), the bpfrt interpreter and DPDK's JIT and interpreter (on the
// loop-free programs), in one process, interleaved round by round; the fastest batch of each pair
// counts. Every engine's r0 must equal native's, or the run fails. Also times JIT compilation.
// Thread-safety: runs on the calling thread; not reentrant with itself (timings would interfere).
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bpfrt/result.hpp"

#include "suite.hpp"

namespace bpfrt::bench {

// bpfrt-jit runs programs as the product does: verified (load_engine), checked, with the accesses the
// verifier proved left unchecked; bpfrt-jit-unverified checks every access it cannot prove itself;
// bpfrt-jit-unchecked checks none. bpfrt-interp and bpfrt-interp-unverified likewise for the interpreter.
enum VmEngine {
  kNative,
  kBpfrtJit,
  kBpfrtJitUnverified,
  kBpfrtJitUnchecked,
  kBpfrtInterp,
  kBpfrtInterpUnverified,
  kDpdkJit,
  kDpdkInterp,
  kVmEngineCount
};

inline constexpr std::array<std::string_view, kVmEngineCount> kVmEngineNames = {
    "native",   "bpfrt-jit",  "bpfrt-jit-unverified", "bpfrt-jit-unchecked", "bpfrt-interp", "bpfrt-interp-unverified",
    "dpdk-jit", "dpdk-interp"};

struct VmBenchOptions {
  int rounds = 7;           // each figure is the fastest batch of this many interleaved rounds
  double batch_ms = 2.0;    // length of one timed batch
  std::string filter;       // only programs whose name contains this
  bool zero_stack = false;  // bpfrt engines clear the stack frame on entry (DPDK's do not)
  int compiles = 25;        // JIT compilations per program; the median counts
};

struct VmBenchRow {
  const VmProgram* program = nullptr;
  size_t insns = 0;
  std::array<std::optional<double>, kVmEngineCount> ns;  // per run; empty where the engine did not run
  std::string refused;  // why the verifier refused the program (bpfrt-jit then has no figure)
};

struct VmBenchReport {
  std::vector<VmBenchRow> rows;
  VmBenchOptions options;
  size_t compiled_insns = 0;
  double compile_us = 0;  // sum over programs of the median JIT compile time
  size_t compiled_programs = 0;
  double large_compile_us = 0;  // one synthetic program of kLargeProgramInsns instructions
  size_t large_insns = 0;

  // The side-by-side table, then the compile time, then the geomean lines.
  std::string render() const;
  // geomean of engine a's time over engine b's, over the programs both ran (loop-free only if asked).
  std::optional<double> geomean(VmEngine a, VmEngine b, bool loop_free_only = false) const;
};

[[nodiscard]] Result<VmBenchReport> run_vm_bench(const VmBenchOptions& options);

// The same program/engine pairs one run at a time, for the Google Benchmark binary.
struct ProgramSetup;
struct VmBenchCase {
  const VmProgram* program;
  VmEngine engine;
  std::function<uint64_t()> run;
};
class VmBenchCases {
 public:
  VmBenchCases();
  ~VmBenchCases();
  VmBenchCases(const VmBenchCases&) = delete;
  VmBenchCases& operator=(const VmBenchCases&) = delete;
  std::vector<VmBenchCase> cases;

 private:
  friend Result<std::unique_ptr<VmBenchCases>> make_vm_bench_cases(const VmBenchOptions& options);
  std::vector<std::unique_ptr<ProgramSetup>> setups_;
};
[[nodiscard]] Result<std::unique_ptr<VmBenchCases>> make_vm_bench_cases(const VmBenchOptions& options);

}  // namespace bpfrt::bench
