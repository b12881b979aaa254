// `bpfrt bench vm`: the VM benchmark suite side by side (native, bpfrt JIT checked and unchecked,
// bpfrt interpreter, DPDK's JIT and interpreter), with ratios, geomeans and JIT compile time.
#include <iostream>

#include "commands.hpp"

#ifdef BPFRT_HAVE_VM_BENCH
#include "vm_bench.hpp"
#endif

namespace bpfrt::cli {

void register_bench_commands(CLI::App& app) {
  CLI::App* bench = app.add_subcommand("bench", "Run benchmark suites");
  bench->require_subcommand(1);
  CLI::App* vm = bench->add_subcommand(
      "vm", "Programs compiled from C to BPF and natively: native vs bpfrt JIT/interpreter vs DPDK librte_bpf");
#ifdef BPFRT_HAVE_VM_BENCH
  auto options = std::make_shared<bench::VmBenchOptions>();
  vm->add_option("--rounds", options->rounds, "interleaved rounds; each figure is the fastest")
      ->check(CLI::Range(1, 1000));
  vm->add_option("--batch-ms", options->batch_ms, "length of one timed batch in milliseconds")
      ->check(CLI::Range(0.01, 10000.0));
  vm->add_option("--filter", options->filter, "only programs whose name contains this");
  vm->add_flag("--zero-stack", options->zero_stack,
               "bpfrt engines clear the stack frame on entry (the default "
               "for untrusted programs; DPDK never does)");
  vm->callback([options] { std::cout << unwrap(bench::run_vm_bench(*options)).render() << std::flush; });
#else
  vm->callback([] { fail("this bpfrt was built without benchmarks (configure with -DBPFRT_BENCH=ON)"); });
#endif
}

}  // namespace bpfrt::cli
