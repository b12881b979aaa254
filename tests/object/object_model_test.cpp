// The object model of every corpus object, checked against libbpf's own reading of the same file and
// against what the programs were written to contain.
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>

#include "bpfrt/object.hpp"

#include "corpus.hpp"

namespace bpfrt {
namespace {

using test::open_corpus;

struct BpfObjectDeleter {
  void operator()(bpf_object* o) const { bpf_object__close(o); }
};
using LibbpfObject = std::unique_ptr<bpf_object, BpfObjectDeleter>;

const ObjectMap& map_named(const Object& obj, std::string_view name) {
  const ObjectMap* m = obj.find_map(name);
  if (m == nullptr) {
    throw std::runtime_error("no map " + std::string(name));
  }
  return *m;
}

// Every object opens, and bpfrt's programs and maps agree with libbpf's (libbpf 1.x refuses legacy maps).
TEST(ObjectModel, EveryCorpusObjectMatchesLibbpf) {
  const auto names = test::corpus_objects();
  if (names.empty()) {
    GTEST_SKIP() << "the BPF corpus was not built (" << test::corpus_dir() << ")";
  }
  for (const std::string& name : names) {
    SCOPED_TRACE(name);
    const Object obj = open_corpus(name);
    EXPECT_EQ(obj.name(), name);
    EXPECT_FALSE(obj.programs().empty());
    EXPECT_FALSE(obj.license().empty());
    if (name == "legacy_maps") {
      continue;
    }
    LibbpfObject lb(bpf_object__open_file(test::corpus_path(name).c_str(), nullptr));
    ASSERT_TRUE(lb != nullptr) << "libbpf cannot open " << name;
    size_t n = 0;
    bpf_program* prog;
    bpf_object__for_each_program(prog, lb.get()) {
      const ObjectProgram* p = obj.find_program(bpf_program__name(prog));
      ASSERT_NE(p, nullptr) << bpf_program__name(prog);
      EXPECT_EQ(p->section, bpf_program__section_name(prog));
      EXPECT_EQ(p->type, static_cast<ProgType>(bpf_program__type(prog))) << p->name;
      EXPECT_EQ(p->expected_attach_type, static_cast<AttachType>(bpf_program__expected_attach_type(prog))) << p->name;
      // The entry function comes first, with libbpf's (unrelocated) instruction count.
      EXPECT_EQ(p->functions.at(0).size, bpf_program__insn_cnt(prog)) << p->name;
      ++n;
    }
    EXPECT_EQ(n, obj.programs().size());
    size_t m = 0;
    bpf_map* map;
    bpf_object__for_each_map(map, lb.get()) {
      ASSERT_LT(m, obj.maps().size());
      const ObjectMap& spec = obj.maps()[m++];
      SCOPED_TRACE(spec.name);
      // libbpf prefixes global data maps with the object name ("global_d.rodata").
      const std::string lname = bpf_map__name(map);
      // Custom sections (".data.config") keep their name, cut to the kernel's 15 characters.
      EXPECT_TRUE(spec.is_global_data() ? lname.ends_with(spec.name) || lname == spec.name.substr(0, 15)
                                        : lname == spec.name)
          << lname;
      EXPECT_EQ(spec.type, static_cast<uint32_t>(bpf_map__type(map)));
      EXPECT_EQ(spec.key_size, bpf_map__key_size(map));
      EXPECT_EQ(spec.value_size, bpf_map__value_size(map));
      EXPECT_EQ(spec.max_entries, bpf_map__max_entries(map));
      EXPECT_EQ(spec.flags, bpf_map__map_flags(map));
      EXPECT_EQ(spec.map_extra, bpf_map__map_extra(map));
      EXPECT_EQ(spec.btf_key_type_id, bpf_map__btf_key_type_id(map));
      EXPECT_EQ(spec.btf_value_type_id, bpf_map__btf_value_type_id(map));
      const bpf_map* inner = bpf_map__inner_map(map);
      ASSERT_EQ(spec.inner != nullptr, inner != nullptr);
      if (inner != nullptr) {
        EXPECT_EQ(spec.inner->type, static_cast<uint32_t>(bpf_map__type(inner)));
        EXPECT_EQ(spec.inner->value_size, bpf_map__value_size(inner));
        EXPECT_EQ(spec.inner->max_entries, bpf_map__max_entries(inner));
      }
      if (spec.is_global_data()) {
        size_t size = 0;
        const auto* init = static_cast<const uint8_t*>(bpf_map__initial_value(map, &size));
        ASSERT_NE(init, nullptr);
        EXPECT_EQ(spec.initial_value, std::vector<uint8_t>(init, init + size));
      }
    }
    EXPECT_EQ(m, obj.maps().size());
  }
}

TEST(ObjectModel, PacketProgramsAreMapFree) {
  BPFRT_REQUIRE_CORPUS("xdp_l4_filter");
  const Object obj = open_corpus("xdp_l4_filter");
  ASSERT_EQ(obj.programs().size(), 1u);
  const ObjectProgram& p = obj.programs()[0];
  EXPECT_EQ(p.name, "xdp_l4");
  EXPECT_EQ(p.type, BPF_PROG_TYPE_XDP);
  EXPECT_EQ(p.expected_attach_type, BPF_XDP);
  EXPECT_EQ(p.attach.kind, AttachKind::kNone);
  EXPECT_FALSE(p.uses_maps());
  EXPECT_TRUE(p.relocations.empty());
  EXPECT_EQ(obj.license(), "GPL");
  EXPECT_TRUE(obj.maps().empty());
}

TEST(ObjectModel, StaticSubprogramsAreAppendedAndCallsRelocated) {
  BPFRT_REQUIRE_CORPUS("subprog_static");
  const Object obj = open_corpus("subprog_static");
  const ObjectProgram& p = obj.programs()[0];
  std::vector<std::string> names;
  for (const auto& f : p.functions) {
    names.push_back(f.name);
  }
  // Depth-first in call order, as libbpf appends them: parse, then hash_bytes (from parse), then mix.
  EXPECT_EQ(names, (std::vector<std::string>{"xdp_subprogs", "parse", "hash_bytes", "mix"}));
  size_t calls = 0;
  for (const auto& r : p.relocations) {
    if (r.kind != AppliedRelocation::Kind::kCall) {
      continue;
    }
    ++calls;
    const Instruction& insn = p.program[r.insn];
    EXPECT_EQ(insn.opcode, 0x85);
    EXPECT_EQ(insn.src, 1);
    const auto target = static_cast<size_t>(static_cast<int64_t>(r.insn) + insn.imm + 1);
    auto fn = std::find_if(p.functions.begin(), p.functions.end(),
                           [&](const FunctionSpan& f) { return f.name == r.function; });
    ASSERT_NE(fn, p.functions.end());
    EXPECT_EQ(target, fn->start) << "call at " << r.insn << " to " << r.function;
  }
  EXPECT_GE(calls, 4u);  // xdp_subprogs->parse, parse->hash_bytes, hash_bytes->mix (unrolled), xdp_subprogs->mix
}

TEST(ObjectModel, GlobalSubprogramsAreCopiedIntoEachProgram) {
  BPFRT_REQUIRE_CORPUS("subprog_global");
  const Object obj = open_corpus("subprog_global");
  const ObjectProgram* xdp = obj.find_program("xdp_scaled_len");
  const ObjectProgram* tc = obj.find_program("tc_scaled_len");
  ASSERT_NE(xdp, nullptr);
  ASSERT_NE(tc, nullptr);
  EXPECT_EQ(xdp->functions.size(), 3u);  // itself, scale, clamp
  ASSERT_EQ(tc->functions.size(), 2u);   // itself, scale
  EXPECT_EQ(tc->functions[1].name, "scale");
  EXPECT_TRUE(tc->functions[1].global);
  EXPECT_EQ(tc->type, BPF_PROG_TYPE_SCHED_CLS);
  EXPECT_EQ(obj.find_program("tc"), tc);  // by section name
}

TEST(ObjectModel, CallbackAddressesBecomeFuncPseudoSources) {
  BPFRT_REQUIRE_CORPUS("callbacks");
  const Object obj = open_corpus("callbacks");
  const ObjectProgram& p = obj.programs()[0];
  EXPECT_EQ(p.type, BPF_PROG_TYPE_SYSCALL);
  auto r = std::find_if(p.relocations.begin(), p.relocations.end(),
                        [](const AppliedRelocation& x) { return x.kind == AppliedRelocation::Kind::kFunc; });
  ASSERT_NE(r, p.relocations.end());
  EXPECT_EQ(r->function, "add_index");
  const Instruction& insn = p.program[r->insn];
  EXPECT_EQ(insn.opcode, 0x18);
  EXPECT_EQ(insn.src, static_cast<uint8_t>(LddwSrc::kFunc));
  ASSERT_EQ(p.functions.size(), 2u);
  EXPECT_EQ(static_cast<int64_t>(r->insn) + insn.imm + 1, static_cast<int64_t>(p.functions[1].start));
  EXPECT_NE(disassemble(p.program).find("func("), std::string::npos);
}

TEST(ObjectModel, BtfMapsWithKeyValueTypesAndFlags) {
  BPFRT_REQUIRE_CORPUS("map_hash");
  const Object obj = open_corpus("map_hash");
  const ObjectMap& flows = map_named(obj, "flows");
  EXPECT_EQ(flows.origin, MapOrigin::kBtf);
  EXPECT_EQ(flows.type, BPF_MAP_TYPE_HASH);
  EXPECT_EQ(flows.key_size, 12u);
  EXPECT_EQ(flows.value_size, 8u);
  EXPECT_EQ(flows.max_entries, 1024u);
  EXPECT_EQ(flows.flags, BPF_F_NO_PREALLOC);
  EXPECT_NE(flows.btf_key_type_id, 0u);
  const ObjectMap& recent = map_named(obj, "recent");
  EXPECT_EQ(recent.type, BPF_MAP_TYPE_LRU_HASH);
  const ObjectProgram& p = obj.programs()[0];
  EXPECT_EQ(p.used_maps, (std::vector<uint32_t>{0, 1}));
  for (const auto& r : p.relocations) {
    ASSERT_EQ(r.kind, AppliedRelocation::Kind::kMap);
    EXPECT_EQ(p.program[r.insn].src, static_cast<uint8_t>(LddwSrc::kMapIdx));
    EXPECT_EQ(static_cast<uint32_t>(p.program[r.insn].imm), r.map_index);
    EXPECT_EQ(obj.maps()[r.map_index].name, r.symbol);
  }
}

TEST(ObjectModel, EveryTestRunMapType) {
  struct Expect {
    const char* object;
    const char* map;
    uint32_t type;
  };
  const Expect expected[] = {
      {"map_array", "proto_counts", BPF_MAP_TYPE_ARRAY},
      {"map_array", "cpu_counts", BPF_MAP_TYPE_PERCPU_ARRAY},
      {"map_hash", "flows", BPF_MAP_TYPE_HASH},
      {"map_hash", "recent", BPF_MAP_TYPE_LRU_HASH},
      {"map_percpu_hash", "per_proto", BPF_MAP_TYPE_PERCPU_HASH},
      {"map_percpu_hash", "per_len", BPF_MAP_TYPE_LRU_PERCPU_HASH},
      {"map_queue_stack", "lengths", BPF_MAP_TYPE_QUEUE},
      {"map_queue_stack", "history", BPF_MAP_TYPE_STACK},
      {"map_lpm_bloom", "routes", BPF_MAP_TYPE_LPM_TRIE},
      {"map_lpm_bloom", "blocked", BPF_MAP_TYPE_BLOOM_FILTER},
      {"map_ringbuf", "events", BPF_MAP_TYPE_RINGBUF},
      {"map_perf_event", "samples", BPF_MAP_TYPE_PERF_EVENT_ARRAY},
      {"map_in_map", "outer_array", BPF_MAP_TYPE_ARRAY_OF_MAPS},
      {"map_in_map", "outer_hash", BPF_MAP_TYPE_HASH_OF_MAPS},
      {"tail_calls", "stages", BPF_MAP_TYPE_PROG_ARRAY},
  };
  for (const auto& e : expected) {
    if (!test::have_corpus_object(e.object)) {
      continue;
    }
    const Object obj = open_corpus(e.object);
    EXPECT_EQ(map_named(obj, e.map).type, e.type) << e.map;
  }
  BPFRT_REQUIRE_CORPUS("map_queue_stack");
  const Object qs = open_corpus("map_queue_stack");
  EXPECT_EQ(map_named(qs, "lengths").key_size, 0u);
  EXPECT_EQ(map_named(qs, "history").value_size, 8u);
  const Object lb = open_corpus("map_lpm_bloom");
  EXPECT_EQ(map_named(lb, "blocked").map_extra, 3u);
  EXPECT_EQ(map_named(lb, "routes").key_size, 8u);
}

TEST(ObjectModel, MapInMapInnerDefinitionsAndValues) {
  BPFRT_REQUIRE_CORPUS("map_in_map");
  const Object obj = open_corpus("map_in_map");
  const ObjectMap& outer = map_named(obj, "outer_array");
  ASSERT_NE(outer.inner, nullptr);
  EXPECT_EQ(outer.inner->type, BPF_MAP_TYPE_ARRAY);
  EXPECT_EQ(outer.inner->max_entries, 4u);
  EXPECT_EQ(outer.value_size, 4u);
  ASSERT_EQ(outer.init_slots.size(), 2u);
  EXPECT_EQ(outer.init_slots[0].index, 0u);
  EXPECT_EQ(outer.init_slots[0].target, "inner_a");
  EXPECT_EQ(obj.maps()[outer.init_slots[1].target_index].name, "inner_b");
  const ObjectMap& hash = map_named(obj, "outer_hash");
  ASSERT_NE(hash.inner, nullptr);
  EXPECT_EQ(hash.inner->type, BPF_MAP_TYPE_HASH);
  EXPECT_EQ(hash.inner->value_size, 8u);
  EXPECT_TRUE(hash.init_slots.empty());
}

TEST(ObjectModel, ProgArrayValuesNameEntryPrograms) {
  BPFRT_REQUIRE_CORPUS("tail_calls");
  const Object obj = open_corpus("tail_calls");
  const ObjectMap& stages = map_named(obj, "stages");
  ASSERT_EQ(stages.init_slots.size(), 2u);
  EXPECT_EQ(stages.init_slots[0].index, 0u);
  EXPECT_EQ(obj.programs()[stages.init_slots[0].target_index].name, "stage_ipv4");
  EXPECT_EQ(stages.init_slots[1].index, 2u);
  EXPECT_EQ(obj.programs()[stages.init_slots[1].target_index].name, "stage_ipv6");
  EXPECT_FALSE(obj.find_program("stage_ipv4")->uses_maps());
  EXPECT_TRUE(obj.find_program("dispatch")->uses_maps());
}

TEST(ObjectModel, GlobalDataSectionsAndVariables) {
  BPFRT_REQUIRE_CORPUS("global_data");
  Object obj = open_corpus("global_data");
  const ObjectMap& rodata = map_named(obj, ".rodata");
  EXPECT_EQ(rodata.origin, MapOrigin::kRodata);
  EXPECT_TRUE(rodata.read_only);
  EXPECT_EQ(rodata.type, BPF_MAP_TYPE_ARRAY);
  EXPECT_EQ(rodata.max_entries, 1u);
  EXPECT_EQ(rodata.key_size, 4u);
  EXPECT_TRUE(rodata.flags & BPF_F_RDONLY_PROG);
  const ObjectMap& bss = map_named(obj, ".bss");
  EXPECT_EQ(bss.origin, MapOrigin::kBss);
  EXPECT_EQ(bss.initial_value, std::vector<uint8_t>(16, 0));
  EXPECT_EQ(map_named(obj, ".data.config").origin, MapOrigin::kData);
  const GlobalVariable* port = obj.find_global("drop_port");
  ASSERT_NE(port, nullptr);
  EXPECT_EQ(obj.maps()[port->map_index].name, ".rodata");
  EXPECT_EQ(port->size, 4u);
  EXPECT_TRUE(obj.find_global("internal_counter")->is_static);
  // The relocated lddw points into the section at the variable's offset.
  const ObjectProgram& p = obj.programs()[0];
  bool found = false;
  for (const auto& r : p.relocations) {
    if (r.kind == AppliedRelocation::Kind::kMapValue && r.symbol == "drop_port") {
      found = true;
      EXPECT_EQ(p.program[r.insn].src, static_cast<uint8_t>(LddwSrc::kMapIdxValue));
      EXPECT_EQ(static_cast<uint32_t>(p.program[r.insn].imm), port->map_index);
      EXPECT_EQ(static_cast<uint32_t>(p.program[r.insn + 1].imm), port->offset);
    }
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(p.used_maps.size(), 4u);
  // Skeleton style: change a .rodata constant before load.
  auto before = obj.global_value("drop_port");
  ASSERT_TRUE(before.ok());
  EXPECT_EQ((*before)[0], 53);
  ASSERT_TRUE(obj.set_global("drop_port", uint32_t{853}).ok());
  auto after = obj.global_value("drop_port");
  EXPECT_EQ((*after)[0], 853 & 0xff);
  EXPECT_EQ((*after)[1], 853 >> 8);
  EXPECT_FALSE(obj.set_global("drop_port", uint64_t{1}).ok());  // wrong size
  auto missing = obj.set_global("no_such_var", uint32_t{1});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST(ObjectModel, StringLiteralsLiveInRodataStr) {
  BPFRT_REQUIRE_CORPUS("rodata_strings");
  const Object obj = open_corpus("rodata_strings");
  bool str = false;
  for (const auto& m : obj.maps()) {
    if (m.name.starts_with(".rodata.str")) {
      str = true;
      EXPECT_TRUE(m.read_only);
      const std::string text(m.initial_value.begin(), m.initial_value.end());
      EXPECT_NE(text.find("magic found"), std::string::npos);
    }
  }
  EXPECT_TRUE(str);
}

TEST(ObjectModel, LegacyMapsSection) {
  BPFRT_REQUIRE_CORPUS("legacy_maps");
  const Object obj = open_corpus("legacy_maps");
  EXPECT_EQ(obj.kernel_version(), 0x060100u);
  const ObjectMap& counters = map_named(obj, "counters");
  EXPECT_EQ(counters.origin, MapOrigin::kLegacy);
  EXPECT_EQ(counters.type, BPF_MAP_TYPE_ARRAY);
  EXPECT_EQ(counters.key_size, 4u);
  EXPECT_EQ(counters.value_size, 8u);
  EXPECT_EQ(counters.max_entries, 16u);
  const ObjectMap& table = map_named(obj, "table");
  EXPECT_EQ(table.flags, BPF_F_NO_PREALLOC);
  EXPECT_EQ(obj.programs()[0].type, BPF_PROG_TYPE_SOCKET_FILTER);
  EXPECT_EQ(obj.programs()[0].used_maps.size(), 2u);
}

TEST(ObjectModel, TracingSectionsAndAttachTargets) {
  BPFRT_REQUIRE_CORPUS("tracing_sections");
  const Object obj = open_corpus("tracing_sections");
  auto prog = [&](const char* name) -> const ObjectProgram& {
    const ObjectProgram* p = obj.find_program(name);
    if (p == nullptr) {
      throw std::runtime_error(std::string("no program ") + name);
    }
    return *p;
  };
  EXPECT_EQ(prog("kp_unlink").type, BPF_PROG_TYPE_KPROBE);
  EXPECT_EQ(prog("kp_unlink").attach.target, "do_unlinkat");
  EXPECT_EQ(prog("kp_offset").attach.target, "vfs_read");
  EXPECT_EQ(prog("kp_offset").attach.offset, 0x10u);
  EXPECT_TRUE(prog("krp_unlink").attach.is_return);
  EXPECT_TRUE(prog("kp_manual").attach.target.empty());
  EXPECT_EQ(prog("kp_multi").expected_attach_type, BPF_TRACE_KPROBE_MULTI);
  EXPECT_EQ(prog("kp_multi").attach.target, "vfs_*");
  EXPECT_EQ(prog("ksys_openat").attach.kind, AttachKind::kKsyscall);
  const AttachPoint& up = prog("up_malloc").attach;
  EXPECT_EQ(up.kind, AttachKind::kUprobe);
  EXPECT_EQ(up.binary, "/usr/lib/x86_64-linux-gnu/libc.so.6");
  EXPECT_EQ(up.target, "malloc");
  const AttachPoint& urp = prog("urp_free").attach;
  EXPECT_TRUE(urp.is_return);
  EXPECT_EQ(urp.binary, "libc.so.6");
  EXPECT_EQ(urp.offset, 4u);
  EXPECT_TRUE(prog("up_sleepable").attach.sleepable);
  const AttachPoint& usdt = prog("usdt_setjmp").attach;
  EXPECT_EQ(usdt.kind, AttachKind::kUsdt);
  EXPECT_EQ(usdt.binary, "libc.so.6");
  EXPECT_EQ(usdt.category, "libc");
  EXPECT_EQ(usdt.target, "setjmp");
  const AttachPoint& tp = prog("tp_openat").attach;
  EXPECT_EQ(prog("tp_openat").type, BPF_PROG_TYPE_TRACEPOINT);
  EXPECT_EQ(tp.category, "syscalls");
  EXPECT_EQ(tp.target, "sys_enter_openat");
  EXPECT_EQ(prog("tp_exec").attach.category, "sched");
  EXPECT_EQ(prog("raw_sys_enter").type, BPF_PROG_TYPE_RAW_TRACEPOINT);
  EXPECT_EQ(prog("raw_sys_enter").attach.target, "sys_enter");
  EXPECT_EQ(prog("btf_switch").expected_attach_type, BPF_TRACE_RAW_TP);
  EXPECT_EQ(prog("fentry_unlink").type, BPF_PROG_TYPE_TRACING);
  EXPECT_EQ(prog("fentry_unlink").expected_attach_type, BPF_TRACE_FENTRY);
  EXPECT_EQ(prog("fexit_unlink").expected_attach_type, BPF_TRACE_FEXIT);
  EXPECT_EQ(prog("lsm_open").type, BPF_PROG_TYPE_LSM);
  EXPECT_EQ(prog("lsm_open").attach.target, "file_open");
  EXPECT_EQ(prog("iter_task").expected_attach_type, BPF_TRACE_ITER);
  EXPECT_EQ(prog("on_sample").type, BPF_PROG_TYPE_PERF_EVENT);
  EXPECT_EQ(prog("cg_ingress").expected_attach_type, BPF_CGROUP_INET_INGRESS);
  EXPECT_EQ(prog("cg_connect4").type, BPF_PROG_TYPE_CGROUP_SOCK_ADDR);
  EXPECT_EQ(prog("sock_ops").type, BPF_PROG_TYPE_SOCK_OPS);
  EXPECT_EQ(prog("lookup").type, BPF_PROG_TYPE_SK_LOOKUP);
  EXPECT_EQ(prog("dissect").type, BPF_PROG_TYPE_FLOW_DISSECTOR);
  EXPECT_EQ(prog("xdp_frags").type, BPF_PROG_TYPE_XDP);
}

// The section table agrees with libbpf's for the names it knows.
TEST(ObjectModel, SectionNamesAgreeWithLibbpf) {
  BPFRT_REQUIRE_CORPUS("tracing_sections");
  for (const char* name : {"tracing_sections", "tc_classify", "socket_ldabs", "syscall_ctx", "core_task"}) {
    if (!test::have_corpus_object(name)) {
      continue;
    }
    const Object obj = open_corpus(name);
    for (const auto& p : obj.programs()) {
      bpf_prog_type type;
      bpf_attach_type attach;
      ASSERT_EQ(libbpf_prog_type_by_name(p.section.c_str(), &type, &attach), 0) << p.section;
      EXPECT_EQ(p.type, static_cast<ProgType>(type)) << p.section;
      EXPECT_EQ(p.expected_attach_type, static_cast<AttachType>(attach)) << p.section;
    }
  }
}

TEST(ObjectModel, OpenFromMemoryEqualsOpenFromFile) {
  BPFRT_REQUIRE_CORPUS("map_in_map");
  const auto bytes = test::read_bytes(test::corpus_path("map_in_map"));
  auto obj = Object::open_memory(bytes);
  ASSERT_TRUE(obj.ok()) << obj.error().message;
  const Object file = open_corpus("map_in_map");
  ASSERT_EQ(obj->programs().size(), file.programs().size());
  EXPECT_EQ(obj->programs()[0].program.bytes(), file.programs()[0].program.bytes());
  EXPECT_EQ(obj->maps().size(), file.maps().size());
  EXPECT_EQ(obj->elf_bytes().size(), bytes.size());
}

TEST(ObjectModel, EnumNames) {
  EXPECT_EQ(prog_type_name(BPF_PROG_TYPE_XDP), "xdp");
  EXPECT_EQ(map_type_name(BPF_MAP_TYPE_RINGBUF), "ringbuf");
  EXPECT_EQ(attach_type_name(BPF_CGROUP_INET_INGRESS), "cgroup_inet_ingress");
  EXPECT_EQ(prog_type_name(9999), "prog_type_9999");
  EXPECT_STREQ(core_relo_kind_name(CoreReloKind::kEnumvalValue), "enumval_value");
}

}  // namespace
}  // namespace bpfrt
