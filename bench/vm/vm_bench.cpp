#include "vm_bench.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <functional>
#include <memory>

#include <fmt/format.h>

#include "bpfrt/engine.hpp"

#include "dpdk_peer.hpp"
#include "vm/verified_engine.hpp"

namespace bpfrt::bench {
namespace {

using Clock = std::chrono::steady_clock;

// CPU time of this thread: the machine may be shared, and time spent descheduled is not the engine's.
double thread_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

inline void keep(uint64_t value) {
  asm volatile("" : : "r"(value) : "memory");
}

// One engine's way to run one program: a timed batch with the call inlined into the loop, and a
// single checked run.
struct Runner {
  std::function<double(uint64_t iterations)> batch;  // ns per run over `iterations` runs
  std::function<Result<uint64_t>()> once;
  std::function<uint64_t()> run;
};

template <class F>
Runner make_runner(F run, std::function<Result<uint64_t>()> once = nullptr) {
  Runner r;
  r.batch = [run](uint64_t iterations) {
    const double t0 = thread_ns();
    uint64_t sink = 0;
    for (uint64_t i = 0; i < iterations; ++i) {
      sink += run();
    }
    const double t1 = thread_ns();
    keep(sink);
    return (t1 - t0) / static_cast<double>(iterations);
  };
  r.once = once ? std::move(once) : std::function<Result<uint64_t>()>([run]() -> Result<uint64_t> { return run(); });
  r.run = run;
  return r;
}

// `verified`: through load_engine, as the product loads programs (a raw program over a context of
// ctx_size bytes).
Result<std::unique_ptr<Engine>> make_engine(const Program& program, EngineKind kind, bool checks, bool verified,
                                            bool zero_stack, size_t ctx_size) {
  EngineOptions options;
  options.bounds_checks = checks;
  options.zero_stack = zero_stack;
  if (verified) {
    LoadOptions load;
    load.verifier.ctx_size = ctx_size;
    load.engine = std::move(options);
    return load_engine(kind, program, std::move(load));
  }
  return create_engine(kind, program, options);
}

}  // namespace

struct ProgramSetup {
  const VmProgram* program = nullptr;
  std::vector<uint8_t> ctx;
  std::vector<std::unique_ptr<Engine>> engines;
  std::unique_ptr<DpdkProgram> dpdk;
  std::array<std::optional<Runner>, kVmEngineCount> runners;
  std::array<uint64_t, kVmEngineCount> iterations{};
  std::string refused;  // the verifier's reason, if it refused the program
};

namespace {

Status setup_program(ProgramSetup& s, const VmBenchOptions& options) {
  const VmProgram& p = *s.program;
  auto program = Program::decode(p.bytecode);
  if (!program) {
    return make_error(program.error().code, fmt::format("{}: {}", p.name, program.error().message));
  }
  s.ctx = p.make_context();
  void* ctx = s.ctx.data();
  const size_t len = s.ctx.size();
  const NativeFn native = p.native;
  s.runners[kNative] = make_runner([native, ctx] { return native(ctx); });
  const struct {
    VmEngine slot;
    EngineKind kind;
    bool checks;
    bool verified;
  } bpfrt_engines[] = {{kBpfrtJit, EngineKind::kJit, true, true},
                       {kBpfrtJitUnverified, EngineKind::kJit, true, false},
                       {kBpfrtJitUnchecked, EngineKind::kJit, false, false},
                       {kBpfrtInterp, EngineKind::kInterpreter, true, true},
                       {kBpfrtInterpUnverified, EngineKind::kInterpreter, true, false}};
  for (const auto& e : bpfrt_engines) {
    auto engine = make_engine(*program, e.kind, e.checks, e.verified, options.zero_stack, len);
    if (!engine && engine.error().code == ErrorCode::kRefused) {
      // The product would not load it: no figure, and the reason in the report.
      // The log's last line before the "processed N insns" summary is the reason.
      const std::string& log = engine.error().message;
      const size_t summary = log.rfind("\nprocessed ");
      const size_t reason_end = summary == std::string::npos ? log.size() : summary;
      const size_t reason_start = log.rfind('\n', reason_end - 1);
      s.refused = log.substr(reason_start == std::string::npos ? 0 : reason_start + 1,
                             reason_end - (reason_start == std::string::npos ? 0 : reason_start + 1));
      continue;
    }
    if (!engine) {
      return make_error(engine.error().code, fmt::format("{}: {}", p.name, engine.error().message));
    }
    const Engine* raw = engine->get();
    s.engines.push_back(std::move(*engine));
    s.runners[e.slot] = make_runner(
        [raw, ctx, len] {
          // The per-event entry point, as a hook calls it; `once` checks the result through run().
          const Engine::RunOutcome o = raw->run_event(ctx, len);
          return o.failed == 0 ? o.r0 : ~uint64_t{0};
        },
        [raw, ctx, len] { return raw->run(ctx, len); });
  }
  if (p.kind == ProgramKind::kLoopFree) {
    auto dpdk = DpdkProgram::load(p.bytecode, len);
    if (!dpdk) {
      return make_error(dpdk.error().code, fmt::format("{}: DPDK refused it: {}", p.name, dpdk.error().message));
    }
    s.dpdk = std::move(*dpdk);
    const DpdkProgram* d = s.dpdk.get();
    if (d->jit() != nullptr) {
      const DpdkProgram::JitFn fn = d->jit();
      s.runners[kDpdkJit] = make_runner([fn, ctx] { return fn(ctx); });
    }
    s.runners[kDpdkInterp] = make_runner([d, ctx] { return d->interpret(ctx); });
  }
  // Every engine must compute what the native code computes.
  auto expected = s.runners[kNative]->once();
  for (int e = 0; e < kVmEngineCount; ++e) {
    if (!s.runners[e]) {
      continue;
    }
    auto got = s.runners[e]->once();
    if (!got) {
      return make_error(got.error().code, fmt::format("{} on {}: {}", kVmEngineNames[e], p.name, got.error().message));
    }
    if (*got != *expected) {
      return make_error(ErrorCode::kInvalidArgument, fmt::format("{} on {} returned 0x{:x}, native 0x{:x}",
                                                                 kVmEngineNames[e], p.name, *got, *expected));
    }
    // Calibrate: enough runs to fill a batch.
    for (uint64_t n = 1;; n *= 2) {
      const double ns = s.runners[e]->batch(n);
      if (ns * static_cast<double>(n) >= options.batch_ms * 1e6 / 4 || n >= (uint64_t{1} << 30)) {
        s.iterations[e] = std::max<uint64_t>(1, static_cast<uint64_t>(options.batch_ms * 1e6 / std::max(ns, 0.01)));
        break;
      }
    }
  }
  return {};
}

Result<std::vector<std::unique_ptr<ProgramSetup>>> setup_all(const VmBenchOptions& options) {
  std::vector<std::unique_ptr<ProgramSetup>> setups;
  for (const VmProgram& p : vm_programs()) {
    if (!options.filter.empty() && p.name.find(options.filter) == std::string_view::npos) {
      continue;
    }
    auto s = std::make_unique<ProgramSetup>();
    s->program = &p;
    BPFRT_TRY(setup_program(*s, options));
    setups.push_back(std::move(s));
  }
  if (setups.empty()) {
    return make_error(ErrorCode::kNotFound, fmt::format("no benchmark program matches '{}'", options.filter));
  }
  return setups;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double compile_median_us(const Program& program, int times) {
  std::vector<double> us;
  for (int i = 0; i < times; ++i) {
    const double t0 = thread_ns();
    auto engine = create_engine(EngineKind::kJit, program);
    const double t1 = thread_ns();
    keep(engine ? 1 : 0);
    us.push_back((t1 - t0) / 1000);
  }
  return median(us);
}

// A long straight-line program with a mix of ALU, memory and branch instructions, for the compile
// rate free of per-program fixed costs.
constexpr size_t kLargeProgramInsns = 10000;
Program large_program() {
  std::string text = "mov %r0, 0\nmov %r2, 1\n";
  for (size_t i = 0; text.size() < kLargeProgramInsns * 24 && i < kLargeProgramInsns / 4; ++i) {
    text += fmt::format("add %r0, {}\nstxdw [%r10-{}], %r0\nldxdw %r3, [%r10-{}]\njgt %r3, %r2, +0\n", i,
                        8 * (1 + i % 64), 8 * (1 + (i + 3) % 64));
  }
  text += "exit\n";
  auto program = assemble_program(text);
  return std::move(*program);
}

std::string cell(const std::optional<double>& ns, const std::optional<double>& native) {
  if (!ns) {
    return "-";
  }
  if (!native || *native <= 0) {
    return fmt::format("{:.1f}", *ns);
  }
  return fmt::format("{:.1f} ({:.2f}x)", *ns, *ns / *native);
}

}  // namespace

Result<VmBenchReport> run_vm_bench(const VmBenchOptions& options) {
  VmBenchReport report;
  report.options = options;
  auto setups = setup_all(options);
  if (!setups) {
    return setups.take_error();
  }
  std::vector<std::array<double, kVmEngineCount>> best(setups->size());
  for (auto& b : best) {
    b.fill(INFINITY);
  }
  for (int round = 0; round < options.rounds; ++round) {
    for (size_t i = 0; i < setups->size(); ++i) {
      const ProgramSetup& s = *(*setups)[i];
      for (int e = 0; e < kVmEngineCount; ++e) {
        if (s.runners[e]) {
          best[i][e] = std::min(best[i][e], s.runners[e]->batch(s.iterations[e]));
        }
      }
    }
  }
  for (size_t i = 0; i < setups->size(); ++i) {
    const ProgramSetup& s = *(*setups)[i];
    VmBenchRow row;
    row.program = s.program;
    row.insns = s.program->bytecode.size() / 8;
    for (int e = 0; e < kVmEngineCount; ++e) {
      if (s.runners[e]) {
        row.ns[e] = best[i][e];
      }
    }
    row.refused = (*setups)[i]->refused;
    report.rows.push_back(row);
    report.compile_us += compile_median_us(s.engines.front()->program(), options.compiles);
    report.compiled_insns += row.insns;
    ++report.compiled_programs;
  }
  const Program large = large_program();
  report.large_insns = large.size();
  // A median of as many compilations as the small programs get: one compile takes ~0.5 ms, and a
  // median of five moved by 15% with the host busy.
  report.large_compile_us = compile_median_us(large, std::max(3, options.compiles));
  return report;
}

VmBenchCases::VmBenchCases() = default;
VmBenchCases::~VmBenchCases() = default;

Result<std::unique_ptr<VmBenchCases>> make_vm_bench_cases(const VmBenchOptions& options) {
  auto setups = setup_all(options);
  if (!setups) {
    return setups.take_error();
  }
  auto out = std::make_unique<VmBenchCases>();
  out->setups_ = std::move(*setups);
  for (const auto& s : out->setups_) {
    for (int e = 0; e < kVmEngineCount; ++e) {
      if (s->runners[e]) {
        out->cases.push_back(VmBenchCase{s->program, static_cast<VmEngine>(e), s->runners[e]->run});
      }
    }
  }
  return out;
}

std::optional<double> VmBenchReport::geomean(VmEngine a, VmEngine b, bool loop_free_only) const {
  double log_sum = 0;
  int n = 0;
  for (const VmBenchRow& row : rows) {
    if (loop_free_only && row.program->kind != ProgramKind::kLoopFree) {
      continue;
    }
    if (row.ns[a] && row.ns[b] && *row.ns[b] > 0) {
      log_sum += std::log(*row.ns[a] / *row.ns[b]);
      ++n;
    }
  }
  if (n == 0) {
    return std::nullopt;
  }
  return std::exp(log_sum / n);
}

std::string VmBenchReport::render() const {
  std::string out = fmt::format(
      "bpfrt bench vm: ns of thread CPU time per run (ratio to native), fastest of {} rounds of {:.1f} ms batches; "
      "bpfrt stack zeroing {}\n\n",
      options.rounds, options.batch_ms, options.zero_stack ? "on" : "off (as in DPDK)");
  out += fmt::format("{:<16} {:<9} {:>5}", "program", "kind", "insns");
  for (std::string_view name : kVmEngineNames) {
    out += fmt::format("  {:>20}", name);
  }
  out += "\n";
  for (const VmBenchRow& row : rows) {
    out += fmt::format("{:<16} {:<9} {:>5}", row.program->name,
                       row.program->kind == ProgramKind::kLoop ? "loop" : "loop-free", row.insns);
    for (int e = 0; e < kVmEngineCount; ++e) {
      out += fmt::format("  {:>20}", e == kNative ? cell(row.ns[e], std::nullopt) : cell(row.ns[e], row.ns[kNative]));
    }
    out += "\n";
  }
  for (const VmBenchRow& row : rows) {
    if (!row.refused.empty()) {
      out += fmt::format(
          "\n{}: the verifier refused it ({}); bpfrt-jit, which runs programs verified as the "
          "product does, has no figure",
          row.program->name, row.refused);
    }
  }
  out += fmt::format(
      "\nJIT compile time: {:.1f} us per 1,000 instructions over the suite ({} programs, {} instructions, "
      "{:.1f} us in total, fixed per-program costs included)\n",
      compile_us / static_cast<double>(compiled_insns) * 1000, compiled_programs, compiled_insns, compile_us);
  out += fmt::format("JIT compile time: {:.1f} us per 1,000 instructions on a {}-instruction program\n\n",
                     large_compile_us / static_cast<double>(large_insns) * 1000, large_insns);
  for (int e = kBpfrtJit; e < kVmEngineCount; ++e) {
    if (auto g = geomean(static_cast<VmEngine>(e), kNative)) {
      out += fmt::format("geomean {}/native = {:.2f}\n", kVmEngineNames[e], *g);
    }
  }
  auto pair = [&](VmEngine a, VmEngine b) {
    if (auto g = geomean(a, b, true)) {
      out += fmt::format("geomean {}/{} = {:.2f}\n", kVmEngineNames[a], kVmEngineNames[b], *g);
    }
  };
  pair(kBpfrtJit, kDpdkJit);
  pair(kBpfrtInterp, kDpdkInterp);
  pair(kBpfrtInterpUnverified, kDpdkInterp);
  pair(kBpfrtJitUnverified, kDpdkJit);
  pair(kBpfrtJitUnchecked, kDpdkJit);
  return out;
}

}  // namespace bpfrt::bench
