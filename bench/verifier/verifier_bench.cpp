// Verification speed, side by side in one run: the whole verifier corpus, the conformance vectors, the
// clang-compiled corpus programs one by one, and each of those with precision tracking off. Counters:
// `insns` is instructions processed per verification, `insn_time` seconds per processed instruction.
// Run: build/bench/verifier/bench_verifier  (from the repository root, or set BPFRT_SOURCE_DIR)
#include <filesystem>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "bpfrt/verifier.hpp"

#include "conformance/annotated_program.hpp"
#include "conformance/vector_runner.hpp"
#include "helpers/conformance_helpers.hpp"
#include "helpers/helper_prototypes.hpp"

namespace {

using namespace bpfrt;

std::string source_dir() {
  const char* env = std::getenv("BPFRT_SOURCE_DIR");
  return env != nullptr ? env : BPFRT_SOURCE_DIR;
}

struct Case {
  std::string name;
  Program program;
  VerifyOptions options;
  std::vector<AnnotatedMap> maps;  // keeps the resolver's data alive
};

const HelperTable& standard() {
  static const HelperTable t = standard_helper_prototypes();
  return t;
}

const HelperTable& conformance() {
  static const HelperTable t = [] {
    HelperTable h;
    (void)add_conformance_helpers(h);
    return h;
  }();
  return t;
}

std::vector<Case> corpus_cases() {
  std::vector<Case> out;
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(source_dir() + "/tests/verifier/corpus")) {
    files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  for (const std::string& f : files) {
    auto p = load_annotated_program(f);
    if (!p || !p->program) {
      continue;
    }
    Case c{std::filesystem::path(f).stem().string(), *p->program, {}, p->maps};
    c.options.type = p->type;
    c.options.helpers = &standard();
    c.options.ctx_size = p->ctx_size;
    c.options.maps = p->map_resolver();
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<Case> vector_cases() {
  std::vector<Case> out;
  auto files = list_vectors(default_conformance_dir());
  for (const std::string& f : files ? *files : std::vector<std::string>{}) {
    auto v = load_test_vector(f);
    auto p = v ? v->program() : Result<Program>(make_error(ErrorCode::kIo, ""));
    if (!p) {
      continue;
    }
    Case c{std::filesystem::path(f).stem().string(), *p, {}, {}};
    c.options.helpers = &conformance();
    c.options.ctx_size = v->memory.size();
    out.push_back(std::move(c));
  }
  return out;
}

void run_cases(benchmark::State& state, const std::vector<Case>& cases, bool precision) {
  uint64_t processed = 0;
  for (auto _ : state) {
    for (const Case& c : cases) {
      VerifyOptions options = c.options;
      options.track_precision = precision;
      auto r = verify_program(c.program, options);
      processed += r ? r->stats.insns_processed : 0;
      benchmark::DoNotOptimize(r);
    }
  }
  state.counters["programs"] = static_cast<double>(cases.size());
  state.counters["insns"] = benchmark::Counter(static_cast<double>(processed) / static_cast<double>(cases.size()),
                                               benchmark::Counter::kAvgIterations);
  state.counters["insn_time"] =
      benchmark::Counter(static_cast<double>(processed), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_Corpus(benchmark::State& state) {
  static const auto cases = corpus_cases();
  run_cases(state, cases, true);
}
BENCHMARK(BM_Corpus)->Unit(benchmark::kMillisecond);

void BM_ConformanceVectors(benchmark::State& state) {
  static const auto cases = vector_cases();
  run_cases(state, cases, true);
}
BENCHMARK(BM_ConformanceVectors)->Unit(benchmark::kMillisecond);

// The clang-compiled programs, with and without precision tracking.
void BM_Clang(benchmark::State& state, const std::string& name, bool precision) {
  static const auto cases = corpus_cases();
  std::vector<Case> one;
  for (const Case& c : cases) {
    if (c.name == name) {
      one.push_back(c);
    }
  }
  run_cases(state, one, precision);
}

int register_clang = [] {
  for (const char* name : {"clang-xdp-parse", "clang-tc-tcp-ports", "clang-subprog-checksum", "clang-loop-sum",
                           "clang-xdp-bounded-scan", "precision-counter-ignored"}) {
    benchmark::RegisterBenchmark((std::string("BM_Precise/") + name).c_str(), BM_Clang, std::string(name), true)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark((std::string("BM_Exact/") + name).c_str(), BM_Clang, std::string(name), false)
        ->Unit(benchmark::kMicrosecond);
  }
  return 0;
}();

}  // namespace
