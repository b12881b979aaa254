// Map operation costs side by side, in one run: ns per lookup / update / delete for hash, array,
// per-CPU hash and LRU hash maps, at 1 and 2 threads, through
//   program/<engine>  a program looping 1000 times over the operation (each engine create_engine
//                     accepts; others are reported as skipped),
//   api               the userspace Map API,
//   kernel_syscall    the kernel's maps through bpf() (reference; needs root),
//   kernel_program    the same loop as a kernel program run with BPF_PROG_TEST_RUN (reference).
// The `op_time` counter is time per operation (per thread); items_per_second sums the threads, so
// scaling shows as it doubling from 1 to 2 threads. program/<engine>/loop_only is the loop without
// the helper call: subtract it to get the operation alone.
// Run: build/bench/maps/bench_maps   (root for the kernel rows)
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <unistd.h>

#include "bpfrt/runtime.hpp"

namespace {

using namespace bpfrt;

constexpr int kOpsPerRun = 1000;
constexpr uint32_t kKeysPerThread = 1024;
constexpr uint32_t kMaxThreads = 2;
constexpr uint32_t kEntries = kKeysPerThread * kMaxThreads * 2;

struct MapKind {
  const char* name;
  MapType type;
};
const MapKind kMapKinds[] = {
    {"hash", MapType::kHash},
    {"array", MapType::kArray},
    {"percpu_hash", MapType::kPercpuHash},
    {"lru_hash", MapType::kLruHash},
};
const char* const kOps[] = {"lookup", "update", "delete"};

// The loop every program path runs: kOpsPerRun operations on keys base + (i % 1024).
std::string loop_program(const std::string& op, uint32_t map_ref, const char* map_src, uint32_t base) {
  std::string call;
  if (op == "lookup") {
    call = fmt::format("lddw %r1, {}({})\nmov %r2, %r10\nadd %r2, -4\ncall 1\n", map_src, map_ref);
  } else if (op == "update") {
    call = fmt::format(
        "stxdw [%r10-16], %r6\nlddw %r1, {}({})\nmov %r2, %r10\nadd %r2, -4\nmov %r3, %r10\nadd %r3, -16\n"
        "mov %r4, 0\ncall 2\n",
        map_src, map_ref);
  } else if (op == "delete") {
    call = fmt::format("lddw %r1, {}({})\nmov %r2, %r10\nadd %r2, -4\ncall 3\n", map_src, map_ref);
  } else {
    call = "mov %r0, 0\n";  // loop_only
  }
  return fmt::format(
      "mov %r6, 0\nloop:\nmov %r1, %r6\nand %r1, 1023\nadd %r1, {}\nstxw [%r10-4], %r1\n{}add %r6, 1\n"
      "jlt %r6, {}, loop\nmov %r0, 0\nexit\n",
      base, call, kOpsPerRun);
}

void set_counters(benchmark::State& state, double ops_per_iteration) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * ops_per_iteration));
  state.counters["op_time"] =
      benchmark::Counter(ops_per_iteration, benchmark::Counter::kIsIterationInvariantRate |
                                                benchmark::Counter::kInvert | benchmark::Counter::kAvgThreads);
}

// ---- bpfrt ----

struct Env {
  std::unique_ptr<Runtime> rt;
  std::map<std::string, uint32_t> maps;  // type name -> handle

  Env() {
    auto opened = Runtime::open({"", 256});
    rt = std::move(*opened);
    for (const MapKind& k : kMapKinds) {
      MapSpec spec;
      spec.name = k.name;
      spec.type = k.type;
      spec.key_size = 4;
      spec.value_size = 8;
      spec.max_entries = kEntries;
      maps[k.name] = *rt->create_map(spec);
      fill(k.name, 0, kEntries / 2);
    }
  }
  Map& map(const std::string& name) { return **rt->map(maps.at(name)); }
  void fill(const std::string& name, uint32_t from, uint32_t to) {
    Map& m = map(name);
    std::vector<uint8_t> value(m.user_value_size(), 1);
    for (uint32_t k = from; k < to; ++k) {
      m.update(&k, value.data(), kBpfAny);
    }
  }
};

Env& env() {
  static Env e;
  return e;
}

void bm_program(benchmark::State& state, EngineKind kind, std::string type, std::string op) {
  Env& e = env();
  const uint32_t base = static_cast<uint32_t>(state.thread_index()) * kKeysPerThread;
  ProgramSpec spec;
  spec.name = fmt::format("{}_{}_{}_{}_{}", engine_kind_name(kind), type, op, base, state.threads());
  auto program = assemble_program(loop_program(op, e.maps.at(type), "map_fd", base));
  if (!program) {
    state.SkipWithError(program.error().message.c_str());
    return;
  }
  auto options = e.rt->engine_options(*program);
  auto engine = options ? create_engine(kind, std::move(*program), std::move(*options))
                        : Result<std::unique_ptr<Engine>>(options.take_error());
  if (!engine) {
    state.SkipWithError(engine.error().message.c_str());
    return;
  }
  const bool refill = op == "delete";
  for (auto _ : state) {
    if (refill) {
      state.PauseTiming();
      e.fill(type, base, base + kKeysPerThread);
      state.ResumeTiming();
    }
    benchmark::DoNotOptimize((*engine)->run(nullptr, 0));
  }
  set_counters(state, kOpsPerRun);
}

void bm_api(benchmark::State& state, std::string type, std::string op_name) {
  Env& e = env();
  Map& m = e.map(type);
  const uint32_t base = static_cast<uint32_t>(state.thread_index()) * kKeysPerThread;
  std::vector<uint8_t> value(m.user_value_size(), 2);
  const int op = op_name == "lookup" ? 0 : op_name == "update" ? 1 : 2;
  uint32_t i = 0;
  for (auto _ : state) {
    uint32_t key = base + (i++ & (kKeysPerThread - 1));
    if (op == 0) {
      benchmark::DoNotOptimize(m.lookup(&key, value.data(), 0));
    } else if (op == 1) {
      benchmark::DoNotOptimize(m.update(&key, value.data(), kBpfAny));
    } else {
      benchmark::DoNotOptimize(m.erase(&key));
      if ((i & (kKeysPerThread - 1)) == 0) {
        state.PauseTiming();
        e.fill(type, base, base + kKeysPerThread);
        state.ResumeTiming();
      }
    }
  }
  set_counters(state, 1);
}

// ---- the kernel, for reference ----

struct KernelEnv {
  std::string unavailable;
  std::map<std::string, int> fds;

  KernelEnv() {
    for (const MapKind& k : kMapKinds) {
      LIBBPF_OPTS(bpf_map_create_opts, opts);
      const int fd = bpf_map_create(static_cast<bpf_map_type>(k.type), k.name, 4, 8, kEntries, &opts);
      if (fd < 0) {
        unavailable = fmt::format("kernel maps unavailable ({}); run as root", std::strerror(-fd));
        return;
      }
      fds[k.name] = fd;
      fill(k.name, 0, kEntries / 2);
    }
  }
  void fill(const std::string& name, uint32_t from, uint32_t to) {
    std::vector<uint64_t> value(possible_cpus(), 1);
    for (uint32_t k = from; k < to; ++k) {
      bpf_map_update_elem(fds.at(name), &k, value.data(), BPF_ANY);
    }
  }
};

KernelEnv& kernel_env() {
  static KernelEnv e;
  return e;
}

void bm_kernel_syscall(benchmark::State& state, std::string type, std::string op_name) {
  KernelEnv& e = kernel_env();
  if (!e.unavailable.empty()) {
    state.SkipWithError(e.unavailable.c_str());
    return;
  }
  const int fd = e.fds.at(type);
  const uint32_t base = static_cast<uint32_t>(state.thread_index()) * kKeysPerThread;
  std::vector<uint64_t> value(possible_cpus(), 2);
  const int op = op_name == "lookup" ? 0 : op_name == "update" ? 1 : 2;
  uint32_t i = 0;
  for (auto _ : state) {
    uint32_t key = base + (i++ & (kKeysPerThread - 1));
    if (op == 0) {
      benchmark::DoNotOptimize(bpf_map_lookup_elem(fd, &key, value.data()));
    } else if (op == 1) {
      benchmark::DoNotOptimize(bpf_map_update_elem(fd, &key, value.data(), BPF_ANY));
    } else {
      benchmark::DoNotOptimize(bpf_map_delete_elem(fd, &key));
      if ((i & (kKeysPerThread - 1)) == 0) {
        state.PauseTiming();
        e.fill(type, base, base + kKeysPerThread);
        state.ResumeTiming();
      }
    }
  }
  set_counters(state, 1);
}

// The loop program loaded into the kernel (socket filter) and run with BPF_PROG_TEST_RUN.
void bm_kernel_program(benchmark::State& state, std::string type, std::string op) {
  KernelEnv& e = kernel_env();
  if (!e.unavailable.empty()) {
    state.SkipWithError(e.unavailable.c_str());
    return;
  }
  const uint32_t base = static_cast<uint32_t>(state.thread_index()) * kKeysPerThread;
  auto program = assemble_program(loop_program(op, static_cast<uint32_t>(e.fds.at(type)), "map_fd", base));
  if (!program) {
    state.SkipWithError(program.error().message.c_str());
    return;
  }
  const auto bytes = program->bytes();
  const int prog = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "bench", "GPL",
                                 reinterpret_cast<const bpf_insn*>(bytes.data()), bytes.size() / 8, nullptr);
  if (prog < 0) {
    state.SkipWithError(fmt::format("kernel refused the program: {}", std::strerror(-prog)).c_str());
    return;
  }
  uint8_t packet[64] = {};
  constexpr int kRepeat = 20;
  LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = packet, .data_size_in = sizeof(packet), .repeat = kRepeat);
  for (auto _ : state) {
    if (bpf_prog_test_run_opts(prog, &run) != 0) {
      state.SkipWithError("BPF_PROG_TEST_RUN failed");
      break;
    }
    state.SetIterationTime(static_cast<double>(run.duration) * kRepeat / 1e9);
  }
  close(prog);
  set_counters(state, static_cast<double>(kOpsPerRun) * kRepeat);
}

void register_all() {
  for (const MapKind& k : kMapKinds) {
    for (const char* op : kOps) {
      if (std::string(op) == "delete" && k.type == MapType::kArray) {
        continue;  // array elements cannot be deleted
      }
      for (EngineKind kind : {EngineKind::kInterpreter, EngineKind::kJit}) {
        benchmark::RegisterBenchmark(fmt::format("program/{}/{}/{}", engine_kind_name(kind), k.name, op).c_str(),
                                     bm_program, kind, std::string(k.name), std::string(op))
            ->Threads(1)
            ->Threads(2)
            ->UseRealTime();
      }
      benchmark::RegisterBenchmark(fmt::format("api/{}/{}", k.name, op).c_str(), bm_api, std::string(k.name),
                                   std::string(op))
          ->Threads(1)
          ->Threads(2)
          ->UseRealTime();
      benchmark::RegisterBenchmark(fmt::format("kernel_syscall/{}/{}", k.name, op).c_str(), bm_kernel_syscall,
                                   std::string(k.name), std::string(op))
          ->Threads(1)
          ->Threads(2)
          ->UseRealTime();
      if (std::string(op) != "delete") {
        benchmark::RegisterBenchmark(fmt::format("kernel_program/{}/{}", k.name, op).c_str(), bm_kernel_program,
                                     std::string(k.name), std::string(op))
            ->Threads(1)
            ->Threads(2)
            ->UseManualTime();
      }
    }
  }
  for (EngineKind kind : {EngineKind::kInterpreter, EngineKind::kJit}) {
    benchmark::RegisterBenchmark(fmt::format("program/{}/loop_only", engine_kind_name(kind)).c_str(), bm_program, kind,
                                 std::string("hash"), std::string("loop_only"))
        ->Threads(1)
        ->UseRealTime();
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
