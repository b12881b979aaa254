// A kernel program and a bpfrt program increment the same maps: the object is loaded into the kernel
// (libbpf) and into a bpfrt registry whose maps delegate to the kernel's (load_object_with_kernel_maps).
// Label `kernel`: needs root (CAP_BPF) and skips with the reason without it.
#include <cstring>

#include <bpf/bpf.h>
#include <gtest/gtest.h>

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

TEST(KernelSharedMaps, MapsThatCannotBeSharedAreRefusedByName) {
  if (auto why = check_kernel_privilege(); !why) {
    GTEST_SKIP() << why.error().message;
  }
  const std::string path = test::corpus_dir() + "/map_hash.bpf.o";
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
  EXPECT_NE(loaded.error().message.find("kernel map 'flows' (hash"), std::string::npos) << loaded.error().message;
  EXPECT_TRUE((*rt)->list_maps().empty());
}

}  // namespace
}  // namespace bpfrt
