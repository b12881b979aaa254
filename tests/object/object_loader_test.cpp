// load_object: maps and programs of corpus objects in a private registry — names, pinning by name,
// .values slots, tail-call targets, frozen .rodata, reuse, and a refused program leaving nothing behind.
#include "bpfrt/object_loader.hpp"

#include <gtest/gtest.h>

#include "corpus.hpp"

namespace bpfrt {
namespace {

const std::vector<uint8_t> kUdp53 = {0, 0,  0,  0, 0, 0,  2, 0, 0, 0,  0, 1, 0x08, 0x00, 0x45, 0, 0,  28, 0, 1, 0,
                                     0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,    0x04, 0xd2, 0, 53, 0,  8, 0, 0};

std::unique_ptr<Runtime> private_runtime() {
  RegistryOptions ro;
  ro.name = "";
  auto rt = Runtime::open(ro);
  EXPECT_TRUE(rt.ok());
  return std::move(*rt);
}

Result<Object> corpus(const std::string& name) {
  return Object::open(test::corpus_dir() + "/" + name + ".bpf.o");
}

#define OPEN_OR_SKIP(var, name)                        \
  auto var = corpus(name);                             \
  if (!var) {                                          \
    GTEST_SKIP() << "corpus: " << var.error().message; \
  }

TEST(ObjectLoader, PinnedByNameMapsAreSharedAndClashesFail) {
  OPEN_OR_SKIP(a, "pinned_counter");
  OPEN_OR_SKIP(clash, "bad/pinned_clash");
  auto rt = private_runtime();
  auto first = load_object(*rt, *a);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->maps[0].registry_name, "shared_hits");  // bare name: shared
  EXPECT_TRUE(first->maps[0].pinned);
  ObjectLoadOptions other;
  other.name = "second";
  auto second = load_object(*rt, *a, other);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second->maps[0].handle, first->maps[0].handle);
  EXPECT_FALSE(second->maps[0].created);
  TestRunInput in;
  in.data_in = kUdp53;
  ASSERT_TRUE(run_loaded_program(*rt, *a, first->programs[0], EngineKind::kInterpreter, in).ok());
  ASSERT_TRUE(run_loaded_program(*rt, *a, second->programs[0], EngineKind::kJit, in).ok());
  auto map = rt->map("shared_hits");
  ASSERT_TRUE(map.ok());
  const uint32_t key = 0;
  uint64_t hits = 0;
  ASSERT_EQ((*map)->lookup(&key, &hits), 0);
  EXPECT_EQ(hits, 2u);  // both objects' programs counted in the one map
  auto bad = load_object(*rt, *clash);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("the registry's map 'shared_hits' is array"), std::string::npos)
      << bad.error().message;
  EXPECT_FALSE(rt->find(ObjectKind::kProgram, "pinned_clash.xdp_clash").ok());
  // Unloading keeps the pinned map, as unpinning is separate in the kernel too.
  ASSERT_TRUE(unload_object(*rt, *first).ok());
  ASSERT_TRUE(unload_object(*rt, *second).ok());
  EXPECT_TRUE(rt->find(ObjectKind::kMap, "shared_hits").ok());
  EXPECT_FALSE(rt->find(ObjectKind::kProgram, "pinned_counter.xdp_hits").ok());
}

TEST(ObjectLoader, TailCallTargetsComeAlongAndProgArraysAreFilled) {
  OPEN_OR_SKIP(obj, "tail_calls");
  auto rt = private_runtime();
  ObjectLoadOptions only;
  only.programs = {"dispatch"};
  auto loaded = load_object(*rt, *obj, only);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->programs.size(), obj->programs().size());
  auto stages = rt->map("tail_calls.stages");
  ASSERT_TRUE(stages.ok());
  size_t filled = 0;
  for (uint32_t i = 0; i < (*stages)->max_entries(); ++i) {
    filled += (*stages)->handle_at(i) != 0 ? 1 : 0;
  }
  EXPECT_GE(filled, 2u);
  TestRunInput in;
  in.data_in = kUdp53;
  auto out = run_loaded_program(*rt, *obj, *loaded->find_program("dispatch"), EngineKind::kInterpreter, in);
  ASSERT_TRUE(out.ok()) << out.error().message;
  auto jit = run_loaded_program(*rt, *obj, *loaded->find_program("dispatch"), EngineKind::kJit, in);
  ASSERT_TRUE(jit.ok()) << jit.error().message;
  EXPECT_EQ(out->retval, jit->retval);
}

TEST(ObjectLoader, MapsOfMapsGetTheirInnerMaps) {
  OPEN_OR_SKIP(obj, "map_in_map");
  auto rt = private_runtime();
  auto loaded = load_object(*rt, *obj);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  auto outer = rt->map("map_in_map.outer_array");
  ASSERT_TRUE(outer.ok());
  EXPECT_EQ((*outer)->handle_at(0), loaded->find_map("inner_a")->handle);
  EXPECT_EQ((*outer)->handle_at(1), loaded->find_map("inner_b")->handle);
}

TEST(ObjectLoader, RodataIsFrozenAndReuseNeedsTheSameBytes) {
  OPEN_OR_SKIP(obj, "global_data");
  auto rt = private_runtime();
  auto loaded = load_object(*rt, *obj);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  const LoadedMap* ro = nullptr;
  for (const LoadedMap& m : loaded->maps) {
    if (obj->maps()[m.index].read_only) {
      ro = &m;
    }
  }
  ASSERT_NE(ro, nullptr);
  auto map = rt->map(ro->handle);
  ASSERT_TRUE(map.ok());
  EXPECT_TRUE((*map)->frozen());
  std::vector<uint8_t> value((*map)->value_size(), 0);
  const uint32_t key = 0;
  EXPECT_EQ((*map)->update(&key, value.data()), -EPERM);
  auto again = load_object(*rt, *obj);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("already has a map named"), std::string::npos) << again.error().message;
  ObjectLoadOptions reuse;
  reuse.reuse = true;
  auto reused = load_object(*rt, *obj, reuse);
  ASSERT_TRUE(reused.ok()) << reused.error().message;
  EXPECT_EQ(reused->programs[0].handle, loaded->programs[0].handle);
  // Other .rodata bytes: not the same object any more.
  Object changed = std::move(*obj);
  const GlobalVariable* g = nullptr;
  for (const GlobalVariable& v : changed.globals()) {
    if (changed.maps()[v.map_index].read_only && v.size > 0) {
      g = &v;
    }
  }
  ASSERT_NE(g, nullptr);
  std::vector<uint8_t> bytes(g->size, 0x5a);
  ASSERT_TRUE(changed.set_global(g->name, std::span<const uint8_t>(bytes)).ok());
  auto different = load_object(*rt, changed, reuse);
  ASSERT_FALSE(different.ok());
  EXPECT_NE(different.error().message.find("holds other read-only data"), std::string::npos)
      << different.error().message;
}

TEST(ObjectLoader, ARefusedProgramLeavesNothingBehind) {
  OPEN_OR_SKIP(obj, "bad/unchecked_packet");
  auto rt = private_runtime();
  auto loaded = load_object(*rt, *obj);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code, ErrorCode::kRefused);
  EXPECT_NE(loaded.error().message.find("section 'xdp'"), std::string::npos) << loaded.error().message;
  EXPECT_NE(loaded.error().message.find("invalid access to packet"), std::string::npos) << loaded.error().message;
  EXPECT_TRUE(rt->list_maps().empty());
  EXPECT_TRUE(rt->list_programs().empty());
  ObjectLoadOptions unverified;
  unverified.verify = false;
  auto forced = load_object(*rt, *obj, unverified);
  ASSERT_TRUE(forced.ok()) << forced.error().message;
  EXPECT_FALSE(forced->programs[0].verified);
}

TEST(ObjectLoader, GlobalDataStartsWithTheObjectsValues) {
  OPEN_OR_SKIP(obj, "global_data");
  auto rt = private_runtime();
  ObjectLoadOptions named;
  named.name = "gd";
  auto loaded = load_object(*rt, *obj, named);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  for (const LoadedMap& m : loaded->maps) {
    const ObjectMap& om = obj->maps()[m.index];
    EXPECT_TRUE(m.registry_name.starts_with("gd.")) << m.registry_name;
    if (!om.is_global_data()) {
      continue;
    }
    auto map = rt->map(m.handle);
    ASSERT_TRUE(map.ok());
    std::vector<uint8_t> value((*map)->value_size());
    const uint32_t key = 0;
    ASSERT_EQ((*map)->lookup(&key, value.data()), 0);
    EXPECT_EQ(value, om.initial_value) << om.name;
  }
}

// map_array's counters through both engines: the JIT inlines the array lookup and calls the per-CPU
// array's lookup directly; the counts must come out as if every run had called the helper.
TEST(ObjectLoader, ArrayMapLookupsCountTheSameInBothEngines) {
  OPEN_OR_SKIP(obj, "map_array");
  auto rt = private_runtime();
  auto loaded = load_object(*rt, *obj);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  const LoadedProgram* prog = loaded->find_program("xdp_count");
  ASSERT_NE(prog, nullptr);
  TestRunInput in;
  in.data_in = kUdp53;
  in.repeat = 3;
  for (EngineKind kind : {EngineKind::kInterpreter, EngineKind::kJit, EngineKind::kJit}) {
    auto out = run_loaded_program(*rt, *obj, *prog, kind, in);
    ASSERT_TRUE(out.ok()) << out.error().message;
    EXPECT_EQ(out->retval, 2u);  // XDP_PASS
  }
  auto counts = rt->map("map_array.proto_counts");
  ASSERT_TRUE(counts.ok()) << counts.error().message;
  uint64_t value[2] = {};
  for (uint32_t key = 0; key < 256; ++key) {
    ASSERT_EQ((*counts)->lookup(&key, value), 0);
    // ethertype 0x0800: key 0x00
    EXPECT_EQ(value[0], key == 0 ? 9u : 0u) << key;
    EXPECT_EQ(value[1], key == 0 ? 9u * kUdp53.size() : 0u) << key;
  }
  auto cpu = rt->map("map_array.cpu_counts");
  ASSERT_TRUE(cpu.ok()) << cpu.error().message;
  std::vector<uint64_t> per_cpu((*cpu)->ncpus());
  uint32_t zero = 0;
  ASSERT_EQ((*cpu)->lookup(&zero, per_cpu.data()), 0);
  uint64_t total = 0;
  for (uint64_t n : per_cpu) {
    total += n;
  }
  EXPECT_EQ(total, 9u);
}

}  // namespace
}  // namespace bpfrt
