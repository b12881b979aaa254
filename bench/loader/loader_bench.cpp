// The object loader side by side with libbpf, and test runs side by side with the kernel.
//   Open/*: Object::open_memory against libbpf's bpf_object__open_mem (+ close) on the same bytes.
//           bpfrt does more (relocation, linking, CO-RE); libbpf 1.1 defers that to load.
//   TestRun/*: one run of a corpus XDP program on a UDP packet: bpfrt's interpreter through test_run
//           (repeat 1000, mean per run) against BPF_PROG_TEST_RUN in the kernel (root only).
// Run: build/bench/loader/bench_loader
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include "bpfrt/object.hpp"
#include "bpfrt/test_run.hpp"

namespace {

std::vector<uint8_t> corpus(const std::string& name) {
  std::ifstream in(std::string(BPFRT_BPF_OBJ_DIR) + "/" + name + ".bpf.o", std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void open_bpfrt(benchmark::State& state, const char* name) {
  const auto bytes = corpus(name);
  if (bytes.empty() || !bpfrt::Object::open_memory(bytes).ok()) {
    state.SkipWithError("corpus object missing or does not open");
    return;
  }
  for (auto _ : state) {
    auto obj = bpfrt::Object::open_memory(bytes);
    benchmark::DoNotOptimize(obj);
  }
}

void open_libbpf(benchmark::State& state, const char* name) {
  const auto bytes = corpus(name);
  if (bytes.empty()) {
    state.SkipWithError("corpus object missing");
    return;
  }
  libbpf_set_print(nullptr);
  for (auto _ : state) {
    bpf_object* obj = bpf_object__open_mem(bytes.data(), bytes.size(), nullptr);
    benchmark::DoNotOptimize(obj);
    bpf_object__close(obj);
  }
}

std::vector<uint8_t> udp_packet() {
  std::vector<uint8_t> p = {0, 0,  0,  0, 0, 0,  2, 0, 0, 0,  0, 1, 0x08, 0x00, 0x45, 0,    0,    28, 0, 1, 0,
                            0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,    0x04, 0xd2, 0x1f, 0x90, 0,  8, 0, 0};
  p.resize(64, 0);
  return p;
}

constexpr uint32_t kRepeat = 1000;

void test_run_bpfrt(benchmark::State& state, const char* name) {
  auto obj = bpfrt::Object::open_memory(corpus(name));
  if (!obj) {
    state.SkipWithError("corpus object missing");
    return;
  }
  const bpfrt::ObjectProgram& p = obj->programs()[0];
  bpfrt::TestRunInput in{udp_packet(), {}, kRepeat};
  uint64_t total = 0;
  for (auto _ : state) {
    auto out = bpfrt::test_run(bpfrt::EngineKind::kInterpreter, p.program, p.type, bpfrt::EngineOptions{}, in);
    if (!out) {
      state.SkipWithError(out.error().message.c_str());
      return;
    }
    total += out->duration_ns;
  }
  state.counters["ns_per_run"] = static_cast<double>(total) / static_cast<double>(state.iterations());
}

void test_run_kernel(benchmark::State& state, const char* name) {
  if (geteuid() != 0) {
    state.SkipWithError("not root");
    return;
  }
  libbpf_set_print(nullptr);
  const auto bytes = corpus(name);
  bpf_object* obj = bpf_object__open_mem(bytes.data(), bytes.size(), nullptr);
  if (obj == nullptr || bpf_object__load(obj) != 0) {
    state.SkipWithError("libbpf cannot load the object");
    bpf_object__close(obj);
    return;
  }
  bpf_program* prog = bpf_object__next_program(obj, nullptr);
  const auto pkt = udp_packet();
  uint64_t total = 0;
  for (auto _ : state) {
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt.data(), .data_size_in = static_cast<uint32_t>(pkt.size()),
                .repeat = static_cast<int>(kRepeat));
    if (bpf_prog_test_run_opts(bpf_program__fd(prog), &opts) != 0) {
      state.SkipWithError("BPF_PROG_TEST_RUN failed");
      break;
    }
    total += opts.duration;
  }
  state.counters["ns_per_run"] = static_cast<double>(total) / static_cast<double>(state.iterations());
  bpf_object__close(obj);
}

BENCHMARK_CAPTURE(open_bpfrt, xdp_l4_filter, "xdp_l4_filter");
BENCHMARK_CAPTURE(open_libbpf, xdp_l4_filter, "xdp_l4_filter");
BENCHMARK_CAPTURE(open_bpfrt, map_in_map, "map_in_map");
BENCHMARK_CAPTURE(open_libbpf, map_in_map, "map_in_map");
BENCHMARK_CAPTURE(open_bpfrt, core_values, "core_values");
BENCHMARK_CAPTURE(open_libbpf, core_values, "core_values");
BENCHMARK_CAPTURE(test_run_bpfrt, xdp_l4_filter, "xdp_l4_filter");
BENCHMARK_CAPTURE(test_run_kernel, xdp_l4_filter, "xdp_l4_filter");
BENCHMARK_CAPTURE(test_run_bpfrt, subprog_static, "subprog_static");
BENCHMARK_CAPTURE(test_run_kernel, subprog_static, "subprog_static");

}  // namespace

BENCHMARK_MAIN();
