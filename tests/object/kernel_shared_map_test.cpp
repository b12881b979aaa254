// A kernel program and a bpfrt program increment the same maps: the object is loaded into the kernel
// (libbpf) and into a bpfrt registry whose maps delegate to the kernel's (load_object_with_kernel_maps).
// Label `kernel`: needs root (CAP_BPF) and skips with the reason without it.
#include <cerrno>
#include <cstring>
#include <vector>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include "bpfrt/kernel_object.hpp"

#include "corpus.hpp"

namespace bpfrt {
namespace {

const std::vector<uint8_t> kUdp53 = {0, 0,  0,  0, 0, 0,  2, 0, 0, 0,  0, 1, 0x08, 0x00, 0x45, 0, 0,  28, 0, 1, 0,
                                     0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,    0x04, 0xd2, 0, 53, 0,  8, 0, 0};

uint64_t kernel_u64(const KernelMapInfo& m, uint32_t key, size_t offset = 0) {
  std::vector<uint8_t> value(m.spec.value_size);
  EXPECT_EQ(bpf_map_lookup_elem(m.fd, &key, value.data()), 0);
  uint64_t v = 0;
  std::memcpy(&v, value.data() + offset, sizeof(v));
  return v;
}

TEST(KernelSharedMaps, AKernelProgramAndABpfrtProgramIncrementTheSameMap) {
  if (auto why = check_kernel_privilege(); !why) {
    GTEST_SKIP() << why.error().message;
  }
  const std::string path = test::corpus_dir() + "/shared_counter.bpf.o";
  auto obj = Object::open(path);
  if (!obj) {
    GTEST_SKIP() << "corpus: " << obj.error().message;
  }
  auto kernel = KernelObject::load(path);
  ASSERT_TRUE(kernel.ok()) << kernel.error().message;
  RegistryOptions ro;
  ro.name = "";
  auto rt = Runtime::open(ro);
  ASSERT_TRUE(rt.ok());
  auto loaded = load_object_with_kernel_maps(**rt, *obj, *kernel);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  const KernelMapInfo* hits = kernel->find_map("hits");
  const KernelMapInfo* bss = kernel->find_map(".bss");
  ASSERT_NE(hits, nullptr);
  ASSERT_NE(bss, nullptr);

  TestRunInput in;
  in.data_in = kUdp53;
  in.repeat = 3;
  auto k = kernel->test_run("xdp_shared", in);  // the kernel program: +3 hits, +6 total
  ASSERT_TRUE(k.ok()) << k.error().message;
  in.repeat = 2;
  for (EngineKind kind : {EngineKind::kInterpreter, EngineKind::kJit}) {  // bpfrt: +2 hits, +4 total each
    auto out = run_loaded_program(**rt, *obj, loaded->programs[0], kind, in);
    ASSERT_TRUE(out.ok()) << engine_kind_name(kind) << ": " << out.error().message;
    EXPECT_EQ(out->retval, 2u);
  }
  EXPECT_EQ(kernel_u64(*hits, 0), 7u);
  EXPECT_EQ(kernel_u64(*bss, 0), 14u);
  k = kernel->test_run("xdp_shared", in);  // and the kernel sees bpfrt's increments
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(kernel_u64(*hits, 0), 9u);

  // Userspace through the registry: bpf() on the kernel map.
  auto map = (*rt)->map("shared_counter.hits");
  ASSERT_TRUE(map.ok()) << map.error().message;
  const uint32_t key = 1;
  const uint64_t forty_two = 42;
  ASSERT_EQ((*map)->update(&key, &forty_two), 0);
  EXPECT_EQ(kernel_u64(*hits, 1), 42u);
  uint64_t v = 0;
  const uint32_t zero = 0;
  ASSERT_EQ((*map)->lookup(&zero, &v), 0);
  EXPECT_EQ(v, 9u);
  const uint32_t outside = 7;
  EXPECT_EQ((*map)->lookup(&outside, &v), -ENOENT);
}

// Hash map, per-CPU array and perf event array without mmap: bpfrt programs reach them through bpf()
// (lookups get a copy written back when the run ends; perf output goes through the kernel's helper).
TEST(KernelSharedMaps, HashPerCpuArrayAndPerfEventArrayAreSharedThroughBpf) {
  if (auto why = check_kernel_privilege(); !why) {
    GTEST_SKIP() << why.error().message;
  }
  const std::string path = test::corpus_dir() + "/shared_kinds.bpf.o";
  auto obj = Object::open(path);
  if (!obj) {
    GTEST_SKIP() << "corpus: " << obj.error().message;
  }
  auto kernel = KernelObject::load(path);
  ASSERT_TRUE(kernel.ok()) << kernel.error().message;
  RegistryOptions ro;
  ro.name = "";
  auto rt = Runtime::open(ro);
  ASSERT_TRUE(rt.ok());
  auto loaded = load_object_with_kernel_maps(**rt, *obj, *kernel);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  const KernelMapInfo* flows = kernel->find_map("flows");
  const KernelMapInfo* per_cpu = kernel->find_map("per_cpu");
  const KernelMapInfo* events = kernel->find_map("events");
  ASSERT_TRUE(flows != nullptr && per_cpu != nullptr && events != nullptr);

  // A kernel perf consumer (libbpf's perf_buffer) on the kernel map.
  struct Seen {
    int samples = 0;
    uint64_t lost = 0;
    uint64_t last_key = 0;
  } seen;
  auto on_sample = [](void* ctx, int, void* data, __u32 size) {
    auto* s = static_cast<Seen*>(ctx);
    uint64_t v[2] = {};
    if (size >= sizeof(v)) {
      std::memcpy(v, data, sizeof(v));
      if (v[0] == 0x5eed) {
        ++s->samples;
        s->last_key = v[1];
      }
    }
  };
  auto on_lost = [](void* ctx, int, __u64 n) { static_cast<Seen*>(ctx)->lost += n; };
  perf_buffer* pb = perf_buffer__new(events->fd, 8, on_sample, on_lost, &seen, nullptr);
  ASSERT_NE(pb, nullptr) << "perf_buffer__new: " << std::strerror(errno);

  TestRunInput in;
  in.data_in = kUdp53;  // 42 bytes: key 42
  in.repeat = 3;
  auto k = kernel->test_run("xdp_count", in);  // creates flows[42] = 1, then 2, 3
  ASSERT_TRUE(k.ok()) << k.error().message;
  in.repeat = 2;
  for (EngineKind kind : {EngineKind::kInterpreter, EngineKind::kJit}) {
    auto out = run_loaded_program(**rt, *obj, loaded->programs[0], kind, in);
    ASSERT_TRUE(out.ok()) << engine_kind_name(kind) << ": " << out.error().message;
    EXPECT_EQ(out->retval, 2u);  // XDP_PASS
  }
  in.repeat = 1;
  k = kernel->test_run("xdp_count", in);  // and the kernel continues from bpfrt's count
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(kernel_u64(*flows, 42), 8u);

  const uint32_t ncpus = possible_cpus();
  std::vector<uint64_t> per(ncpus);
  const uint32_t zero = 0;
  ASSERT_EQ(bpf_map_lookup_elem(per_cpu->fd, &zero, per.data()), 0);
  uint64_t sum = 0;
  for (uint64_t v : per) {
    sum += v;
  }
  EXPECT_EQ(sum, 8u);

  // Userspace through the registry sees the same (per-CPU values in the syscall layout).
  auto flows_map = (*rt)->map("shared_kinds.flows");
  ASSERT_TRUE(flows_map.ok()) << flows_map.error().message;
  const uint32_t key = 42;
  uint64_t v = 0;
  ASSERT_EQ((*flows_map)->lookup(&key, &v), 0);
  EXPECT_EQ(v, 8u);
  auto pc_map = (*rt)->map("shared_kinds.per_cpu");
  ASSERT_TRUE(pc_map.ok());
  std::vector<uint64_t> through_registry(ncpus);
  ASSERT_EQ((*pc_map)->lookup(&zero, through_registry.data()), 0);
  EXPECT_EQ(through_registry, per);
  // A registry update reaches the kernel program's next run.
  const uint64_t hundred = 100;
  ASSERT_EQ((*flows_map)->update(&key, &hundred, kBpfExist), 0);
  k = kernel->test_run("xdp_count", in);
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(kernel_u64(*flows, 42), 101u);
  ASSERT_EQ((*flows_map)->erase(&key), 0);
  EXPECT_EQ((*flows_map)->lookup(&key, &v), -ENOENT);

  // Perf: 3 + 2 + 2 + 1 + 1 samples, the bpfrt ones through the kernel's bpf_perf_event_output.
  for (int i = 0; i < 50 && seen.samples < 9; ++i) {
    ASSERT_GE(perf_buffer__poll(pb, 100), 0);
  }
  perf_buffer__free(pb);
  EXPECT_EQ(seen.samples, 9);
  EXPECT_EQ(seen.lost, 0u);
  EXPECT_EQ(seen.last_key, 42u);
}

// A lookup's copy: the run sees its own writes, nothing reaches the kernel before the run ends, an
// unchanged copy is not written back (a concurrent kernel update survives), a deleted element's copy
// is dropped (a re-inserted element is not overwritten by it).
TEST(KernelSharedMaps, ProgramCopiesAreWrittenBackWhenTheRunEnds) {
  if (auto why = check_kernel_privilege(); !why) {
    GTEST_SKIP() << why.error().message;
  }
  MapSpec spec;
  spec.type = MapType::kHash;
  spec.key_size = 4;
  spec.value_size = 8;
  spec.max_entries = 4;
  const int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "copytest", 4, 8, 4, nullptr);
  ASSERT_GE(fd, 0);
  KernelMapInfo info{"copytest", fd, spec};
  auto map = make_kernel_map(info, "copytest");
  ASSERT_TRUE(map.ok()) << map.error().message;
  Map& m = **map;
  ASSERT_TRUE(m.copies_values());
  const uint32_t k1 = 1;
  const uint32_t k2 = 2;
  const uint64_t ten = 10;
  ASSERT_EQ(m.update(&k1, &ten), 0);
  ASSERT_EQ(m.update(&k2, &ten), 0);
  const int run_a = 0;
  auto* p = static_cast<uint64_t*>(m.prog_lookup_copy(&k1, &run_a));
  ASSERT_NE(p, nullptr);
  *p = 11;
  EXPECT_EQ(m.prog_lookup_copy(&k1, &run_a), p);  // same run, same copy
  EXPECT_EQ(kernel_u64(info, 1), 10u);            // not yet written back
  auto* q = static_cast<uint64_t*>(m.prog_lookup_copy(&k2, &run_a));
  ASSERT_NE(q, nullptr);
  const uint64_t twenty = 20;
  ASSERT_EQ(bpf_map_update_elem(fd, &k2, &twenty, BPF_ANY), 0);  // someone else writes key 2
  const uint32_t missing = 3;
  EXPECT_EQ(m.prog_lookup_copy(&missing, &run_a), nullptr);
  m.prog_run_end(&run_a);
  EXPECT_EQ(kernel_u64(info, 1), 11u);
  EXPECT_EQ(kernel_u64(info, 2), 20u);  // the unchanged copy was not written back
  // Deleted while a run holds a copy: stays deleted.
  p = static_cast<uint64_t*>(m.prog_lookup_copy(&k1, &run_a));
  ASSERT_NE(p, nullptr);
  *p = 99;
  ASSERT_EQ(m.prog_delete(&k1), 0);
  EXPECT_EQ(m.prog_lookup_copy(&k1, &run_a), nullptr);  // the run no longer finds it
  const uint64_t seven = 7;
  ASSERT_EQ(m.prog_update(&k1, &seven, kBpfNoexist), 0);  // re-inserted in the same run
  auto* again = static_cast<uint64_t*>(m.prog_lookup_copy(&k1, &run_a));
  ASSERT_NE(again, nullptr);
  EXPECT_NE(again, p);
  EXPECT_EQ(*again, 7u);
  m.prog_run_end(&run_a);
  EXPECT_EQ(kernel_u64(info, 1), 7u);  // the dead copy (99) was not written over the new element
  ASSERT_EQ(m.erase(&k1), 0);
  uint64_t v = 0;
  EXPECT_EQ(m.lookup(&k1, &v), -ENOENT);
  EXPECT_EQ(m.prog_lookup(&k2), nullptr);  // only runs get copies
  close(fd);
}

// The copy slots: a copy no program changed follows updates through the map, a changed one keeps the
// program's bytes (written back when the run ends); 256 slots at most, a lookup beyond them finds
// nothing and for_each stops; every slot is free again after prog_run_end and after for_each.
TEST(KernelSharedMaps, CopySlotsAreRefreshedBoundedAndReleased) {
  if (auto why = check_kernel_privilege(); !why) {
    GTEST_SKIP() << why.error().message;
  }
  constexpr uint32_t kSlots = 256;
  MapSpec spec;
  spec.type = MapType::kHash;
  spec.key_size = 4;
  spec.value_size = 8;
  spec.max_entries = kSlots + 8;
  const int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "slots", 4, 8, spec.max_entries, nullptr);
  ASSERT_GE(fd, 0);
  KernelMapInfo info{"slots", fd, spec};
  auto map = make_kernel_map(info, "slots");
  ASSERT_TRUE(map.ok()) << map.error().message;
  Map& m = **map;
  for (uint32_t k = 0; k <= kSlots; ++k) {
    const uint64_t v = 10 + k;
    ASSERT_EQ(m.update(&k, &v), 0) << k;
  }
  const uint32_t k0 = 0;
  const int run_a = 0;
  auto* p = static_cast<uint64_t*>(m.prog_lookup_copy(&k0, &run_a));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(*p, 10u);
  const uint64_t twenty = 20;
  ASSERT_EQ(m.update(&k0, &twenty), 0);
  EXPECT_EQ(*p, 20u);  // unchanged copy: refreshed
  *p = 21;
  const uint64_t thirty = 30;
  ASSERT_EQ(m.update(&k0, &thirty), 0);
  EXPECT_EQ(*p, 21u);  // changed copy: the program's bytes stay
  m.prog_run_end(&run_a);
  EXPECT_EQ(kernel_u64(info, 0), 21u);

  // Every slot held by one run: the next key is not found, for_each stops at once.
  const int run_b = 0;
  for (uint32_t k = 0; k < kSlots; ++k) {
    ASSERT_NE(m.prog_lookup_copy(&k, &run_b), nullptr) << k;
  }
  const uint32_t last = kSlots;
  EXPECT_EQ(m.prog_lookup_copy(&last, &run_b), nullptr);
  EXPECT_EQ(m.for_each([](const MapElement&) -> long { return 0; }), 0);
  m.prog_run_end(&run_b);
  const int run_c = 0;
  auto* q = static_cast<uint64_t*>(m.prog_lookup_copy(&last, &run_c));
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(*q, 10u + kSlots);
  m.prog_run_end(&run_c);

  // for_each: a callback that stops after one element gets one call, its change written back.
  uint32_t seen = 0;
  const long calls = m.for_each([&seen](const MapElement& e) -> long {
    std::memcpy(&seen, e.key, sizeof(seen));
    const uint64_t v = 1000;
    std::memcpy(e.value, &v, sizeof(v));
    return 1;
  });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(kernel_u64(info, seen), 1000u);
  // A full pass visits every element and leaves every slot free.
  EXPECT_EQ(m.for_each([](const MapElement&) -> long { return 0; }), long{kSlots} + 1);
  const int run_d = 0;
  for (uint32_t k = 0; k < kSlots; ++k) {
    ASSERT_NE(m.prog_lookup_copy(&k, &run_d), nullptr) << k;
  }
  m.prog_run_end(&run_d);
  close(fd);
}

// Per-CPU copies carry the calling CPU's value and write back only that one; for_each hands each
// callback a copy written back after it; a kernel perf event array refuses flags the kernel refuses.
TEST(KernelSharedMaps, PerCpuCopiesForEachAndPerfFlags) {
  if (auto why = check_kernel_privilege(); !why) {
    GTEST_SKIP() << why.error().message;
  }
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(0, &one);
  ASSERT_EQ(sched_setaffinity(0, sizeof(one), &one), 0);  // current_cpu() is 0 from here on
  const uint32_t ncpus = possible_cpus();
  MapSpec spec;
  spec.type = MapType::kPercpuHash;
  spec.key_size = 4;
  spec.value_size = 8;
  spec.max_entries = 4;
  const int fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_HASH, "pcpu", 4, 8, 4, nullptr);
  ASSERT_GE(fd, 0);
  KernelMapInfo info{"pcpu", fd, spec};
  auto map = make_kernel_map(info, "pcpu");
  ASSERT_TRUE(map.ok()) << map.error().message;
  Map& m = **map;
  std::vector<uint64_t> values(ncpus);
  for (uint32_t c = 0; c < ncpus; ++c) {
    values[c] = 100 + c;
  }
  const uint32_t k = 5;
  ASSERT_EQ(m.update(&k, values.data()), 0);
  const int run = 0;
  auto* p = static_cast<uint64_t*>(m.prog_lookup_copy(&k, &run));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(*p, 100u);  // CPU 0's value
  *p = 1000;
  m.prog_run_end(&run);
  std::vector<uint64_t> after(ncpus);
  ASSERT_EQ(bpf_map_lookup_elem(fd, &k, after.data()), 0);
  values[0] = 1000;
  EXPECT_EQ(after, values);  // the other CPUs' values are untouched
  // A program update writes its CPU's value only.
  const uint64_t five = 5;
  ASSERT_EQ(m.prog_update(&k, &five, kBpfExist), 0);
  ASSERT_EQ(bpf_map_lookup_elem(fd, &k, after.data()), 0);
  values[0] = 5;
  EXPECT_EQ(after, values);

  // for_each: the callback's changes are written back.
  const uint32_t k2 = 6;
  ASSERT_EQ(m.update(&k2, values.data()), 0);
  const long calls = m.for_each([](const MapElement& e) -> long {
    uint64_t v;
    std::memcpy(&v, e.value, sizeof(v));
    v += 1;
    std::memcpy(e.value, &v, sizeof(v));
    return 0;
  });
  EXPECT_EQ(calls, 2);
  for (uint32_t key : {k, k2}) {
    ASSERT_EQ(bpf_map_lookup_elem(fd, &key, after.data()), 0);
    EXPECT_EQ(after[0], 6u) << "key " << key;
  }
  close(fd);

  const int pfd = bpf_map_create(BPF_MAP_TYPE_PERF_EVENT_ARRAY, "perf", 4, 4, ncpus, nullptr);
  ASSERT_GE(pfd, 0);
  MapSpec ps;
  ps.type = MapType::kPerfEventArray;
  ps.key_size = 4;
  ps.value_size = 4;
  ps.max_entries = ncpus;
  auto perf = make_kernel_map(KernelMapInfo{"perf", pfd, ps}, "perf");
  ASSERT_TRUE(perf.ok()) << perf.error().message;
  const uint64_t sample = 1;
  EXPECT_EQ(perfbuf::output(**perf, uint64_t{1} << 40, &sample, sizeof(sample)), -EINVAL);  // ctx length bits
  EXPECT_EQ(perfbuf::output(**perf, 0xffffffffULL, &sample, sizeof(sample)), -ENOENT);      // no consumer
  std::vector<uint8_t> big(0x10000);
  EXPECT_EQ(perfbuf::output(**perf, 0xffffffffULL, big.data(), big.size()), -E2BIG);
  auto consumer = PerfBufferConsumer::create(*perf);
  ASSERT_FALSE(consumer.ok());
  EXPECT_NE(consumer.error().message.find("kernel perf buffer"), std::string::npos) << consumer.error().message;
  close(pfd);
  cpu_set_t all;
  CPU_ZERO(&all);
  for (uint32_t c = 0; c < ncpus; ++c) {
    CPU_SET(c, &all);
  }
  sched_setaffinity(0, sizeof(all), &all);
}

TEST(KernelSharedMaps, MapsThatCannotBeSharedAreRefusedByName) {
  if (auto why = check_kernel_privilege(); !why) {
    GTEST_SKIP() << why.error().message;
  }
  const std::string path = test::corpus_dir() + "/map_queue_stack.bpf.o";
  auto obj = Object::open(path);
  if (!obj) {
    GTEST_SKIP() << "corpus: " << obj.error().message;
  }
  auto kernel = KernelObject::load(path);
  ASSERT_TRUE(kernel.ok()) << kernel.error().message;
  RegistryOptions ro;
  ro.name = "";
  auto rt = Runtime::open(ro);
  ASSERT_TRUE(rt.ok());
  auto loaded = load_object_with_kernel_maps(**rt, *obj, *kernel);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().message.find("kernel map 'lengths' (queue"), std::string::npos) << loaded.error().message;
  EXPECT_TRUE((*rt)->list_maps().empty());
}

}  // namespace
}  // namespace bpfrt
