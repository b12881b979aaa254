// The registry: handles and names, maps and programs shared between runtimes and processes, engines
// that reach the registry's maps, tail calls, map-in-map, the trace pipe, export/import.
#include "bpfrt/runtime.hpp"

#include <cerrno>
#include <cstring>
#include <thread>

#include <dirent.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_util.hpp"

namespace bpfrt {
namespace {

MapSpec spec_of(const std::string& name, MapType type, uint32_t key, uint32_t value, uint32_t max, uint32_t flags = 0) {
  MapSpec s;
  s.name = name;
  s.type = type;
  s.key_size = key;
  s.value_size = value;
  s.max_entries = max;
  s.flags = flags;
  return s;
}

// A registry of its own, removed when the test ends.
struct TestRegistry {
  TestRegistry() : name(fmt::format("bpfrt-test-{}-{}", getpid(), counter()++)) {}
  ~TestRegistry() { (void)Runtime::remove_registry(name); }
  std::unique_ptr<Runtime> open(uint32_t capacity = 64) const {
    auto rt = Runtime::open({name, capacity});
    EXPECT_TRUE(rt.ok()) << (rt.ok() ? "" : rt.error().message);
    return rt ? std::move(*rt) : nullptr;
  }
  static int& counter() {
    static int n = 0;
    return n;
  }
  std::string name;
};

uint32_t must(Result<uint32_t> r) {
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : 0;
}

ProgramSpec program_spec(const std::string& name, const std::string& text, std::vector<uint32_t> maps = {}) {
  ProgramSpec p;
  p.name = name;
  p.program = test::must_assemble(text);
  p.map_handles = std::move(maps);
  return p;
}

// Adds r1 to the u64 at key 0 of map `handle` and returns the new value.
std::string counter_program(uint32_t handle) {
  return fmt::format(R"(
    mov %r6, %r1
    stw [%r10-4], 0
    lddw %r1, map_fd({})
    mov %r2, %r10
    add %r2, -4
    call 1
    jeq %r0, 0, out
    ldxdw %r1, [%r0]
    add %r1, 1
    stxdw [%r0], %r1
    mov %r0, %r1
  out:
    exit
  )",
                     handle);
}

TEST(Registry, HandlesNamesAndCapacity) {
  TestRegistry reg;
  auto rt = reg.open(4);
  const uint32_t a = must(rt->create_map(spec_of("a", MapType::kArray, 4, 8, 1)));
  const uint32_t b = must(rt->create_map(spec_of("b", MapType::kHash, 4, 8, 8)));
  EXPECT_EQ(a, 1u);
  EXPECT_EQ(b, 2u);
  auto dup = rt->create_map(spec_of("a", MapType::kArray, 4, 8, 1));
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.error().message.find("already exists"), std::string::npos);
  for (const char* bad : {"", ".hidden", "123", "has space", "x/y"}) {
    EXPECT_FALSE(rt->create_map(spec_of(bad, MapType::kArray, 4, 8, 1)).ok()) << bad;
  }
  EXPECT_FALSE(rt->create_map(spec_of("badspec", MapType::kArray, 8, 8, 1)).ok());
  must(rt->create_map(spec_of("c", MapType::kArray, 4, 8, 1)));
  must(rt->create_map(spec_of("d", MapType::kArray, 4, 8, 1)));
  auto full = rt->create_map(spec_of("e", MapType::kArray, 4, 8, 1));
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().code, ErrorCode::kResourceExhausted);
  EXPECT_NE(full.error().message.find("is full (4 objects)"), std::string::npos) << full.error().message;
  // Removing frees the smallest handle for reuse; the name is free again.
  ASSERT_TRUE(rt->remove_map(a).ok());
  EXPECT_EQ(must(rt->create_map(spec_of("a", MapType::kHash, 4, 4, 2))), 1u);
  EXPECT_EQ(must(rt->find(ObjectKind::kMap, "b")), b);
  EXPECT_EQ(must(rt->find(ObjectKind::kMap, "2")), b);
  EXPECT_FALSE(rt->find(ObjectKind::kMap, "zzz").ok());
  EXPECT_FALSE(rt->find(ObjectKind::kProgram, "b").ok());
  auto info = rt->map_info(b);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->spec.type, MapType::kHash);
  EXPECT_EQ(info->owner_pid, static_cast<uint32_t>(getpid()));
  EXPECT_EQ(rt->list_maps().size(), 4u);
}

TEST(Registry, SegmentIsPrivateToTheUser) {
  TestRegistry reg;
  auto rt = reg.open();
  struct stat st {};
  ASSERT_EQ(stat(("/dev/shm/" + reg.name).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const uint32_t h = must(rt->create_map(spec_of("m", MapType::kArray, 4, 8, 1)));
  auto info = rt->map_info(h);
  ASSERT_TRUE(info.ok());
  ASSERT_EQ(stat(("/dev/shm/" + info->shm_name).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(Registry, TwoRuntimesShareMapsAndPrograms) {
  TestRegistry reg;
  auto loader = reg.open();
  auto other = reg.open();
  const uint32_t m = must(loader->create_map(spec_of("counter", MapType::kArray, 4, 8, 1)));
  const uint32_t p = must(loader->load_program(program_spec("count", counter_program(m))));
  // The other runtime finds both by name and runs the program against the same memory.
  auto engine = other->engine(must(other->find(ObjectKind::kProgram, "count")), EngineKind::kInterpreter);
  ASSERT_TRUE(engine.ok()) << engine.error().message;
  EXPECT_EQ(*(*engine)->run(nullptr, 0), 1u);
  EXPECT_EQ(*(*engine)->run(nullptr, 0), 2u);
  auto mine = loader->engine(p);
  ASSERT_TRUE(mine.ok());
  EXPECT_EQ(*(*mine)->run(nullptr, 0), 3u);
  uint32_t zero = 0;
  uint64_t v = 0;
  ASSERT_EQ((*loader->map("counter"))->lookup(&zero, &v), 0);
  EXPECT_EQ(v, 3u);
  auto info = other->program_info(p);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->map_handles, std::vector<uint32_t>{m});
  EXPECT_NE(info->tag, 0u);
  EXPECT_EQ(other->list_programs().size(), 1u);
}

TEST(Registry, ProgramsRefuseMissingMaps) {
  TestRegistry reg;
  auto rt = reg.open();
  auto bad = rt->load_program(program_spec("p", counter_program(42)));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("no map with handle 42"), std::string::npos) << bad.error().message;
  auto bad_idx = rt->load_program(program_spec("q", "lddw %r1, map_idx(3)\nmov %r0, 0\nexit"));
  ASSERT_FALSE(bad_idx.ok());
  EXPECT_NE(bad_idx.error().message.find("map index 3 is outside"), std::string::npos) << bad_idx.error().message;
  EXPECT_TRUE(rt->list_programs().empty());
}

TEST(Registry, MapIdxUsesTheProgramsMapList) {
  TestRegistry reg;
  auto rt = reg.open();
  must(rt->create_map(spec_of("unused", MapType::kArray, 4, 8, 1)));
  const uint32_t m = must(rt->create_map(spec_of("counter", MapType::kArray, 4, 8, 1)));
  const uint32_t p = must(rt->load_program(
      program_spec("idx", "lddw %r1, map_idx_value(0, 0)\nmov %r2, 5\nstxdw [%r1], %r2\nmov %r0, 0\nexit", {m})));
  auto e = rt->engine(p);
  ASSERT_TRUE(e.ok()) << e.error().message;
  ASSERT_TRUE((*e)->run(nullptr, 0).ok());
  uint32_t zero = 0;
  uint64_t v = 0;
  ASSERT_EQ((*rt->map(m))->lookup(&zero, &v), 0);
  EXPECT_EQ(v, 5u);
}

TEST(Registry, TailCallsBetweenRegisteredPrograms) {
  TestRegistry reg;
  auto rt = reg.open();
  const uint32_t jmp = must(rt->create_map(spec_of("jmp", MapType::kProgArray, 4, 4, 2)));
  const uint32_t target = must(rt->load_program(program_spec("target", "mov %r0, 7\nexit")));
  const uint32_t entry = must(rt->load_program(
      program_spec("entry", fmt::format("lddw %r2, map_fd({})\nmov %r3, 0\ncall 12\nmov %r0, 1\nexit", jmp))));
  uint32_t zero = 0;
  ASSERT_EQ((*rt->map(jmp))->update(&zero, &target), 0);
  auto e = rt->engine(entry);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(*(*e)->run(nullptr, 0), 7u);
  ASSERT_EQ((*rt->map(jmp))->erase(&zero), 0);
  EXPECT_EQ(*(*e)->run(nullptr, 0), 1u);
  const uint32_t missing = 999;
  EXPECT_EQ((*rt->map(jmp))->update(&zero, &missing), -EBADF);
}

TEST(Registry, MapInMapValuesReachableFromPrograms) {
  TestRegistry reg;
  auto rt = reg.open();
  const uint32_t tmpl = must(rt->create_map(spec_of("tmpl", MapType::kArray, 4, 8, 1)));
  const uint32_t outer = must(rt->create_map(spec_of("outer", MapType::kArrayOfMaps, 4, 4, 2), tmpl));
  // An inner map the program never names: its memory must still be usable (dynamic regions).
  const uint32_t inner = must(rt->create_map(spec_of("inner", MapType::kArray, 4, 8, 1)));
  uint32_t one = 1;
  ASSERT_EQ((*rt->map(outer))->update(&one, &inner), 0);
  const uint32_t p = must(rt->load_program(program_spec("mim", fmt::format(R"(
    stw [%r10-4], 1
    lddw %r1, map_fd({})
    mov %r2, %r10
    add %r2, -4
    call 1
    jeq %r0, 0, out
    mov %r1, %r0
    stw [%r10-8], 0
    mov %r2, %r10
    add %r2, -8
    call 1
    jeq %r0, 0, out
    stdw [%r0], 99
    mov %r0, 1
  out:
    exit
  )",
                                                                           outer))));
  auto e = rt->engine(p);
  ASSERT_TRUE(e.ok()) << e.error().message;
  auto r = (*e)->run(nullptr, 0);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, 1u);
  uint32_t zero = 0;
  uint64_t v = 0;
  ASSERT_EQ((*rt->map(inner))->lookup(&zero, &v), 0);
  EXPECT_EQ(v, 99u);
  // An incompatible inner map is refused.
  const uint32_t wrong = must(rt->create_map(spec_of("wrong", MapType::kArray, 4, 16, 1)));
  EXPECT_EQ((*rt->map(outer))->update(&one, &wrong), -EINVAL);
}

TEST(Registry, TracePipeCarriesPrintkLines) {
  TestRegistry reg;
  auto rt = reg.open();
  const uint32_t fmt_map = must(rt->create_map(spec_of("fmt", MapType::kArray, 4, 16, 1)));
  uint32_t zero = 0;
  char text[16] = "hello %d";
  ASSERT_EQ((*rt->map(fmt_map))->update(&zero, text), 0);
  const uint32_t p = must(rt->load_program(program_spec(
      "printk", fmt::format("lddw %r1, map_value({}, 0)\nmov %r2, 9\nmov %r3, 42\ncall 6\nexit", fmt_map))));
  auto e = rt->engine(p);
  ASSERT_TRUE(e.ok()) << e.error().message;
  ASSERT_TRUE((*e)->run(nullptr, 0).ok());
  // Another process's reader would open the same ring by handle.
  auto reader = reg.open();
  auto ring = reader->trace_pipe();
  ASSERT_TRUE(ring.ok()) << ring.error().message;
  auto consumer = RingBufferConsumer::create(*ring);
  ASSERT_TRUE(consumer.ok());
  std::vector<std::string> lines;
  (*consumer)->consume([&](std::span<const uint8_t> rec) {
    Runtime::TraceRecord hdr;
    std::memcpy(&hdr, rec.data(), sizeof(hdr));
    EXPECT_EQ(hdr.pid, static_cast<uint32_t>(getpid()));
    lines.emplace_back(reinterpret_cast<const char*>(rec.data()) + sizeof(hdr), rec.size() - sizeof(hdr));
    return 0;
  });
  EXPECT_EQ(lines, std::vector<std::string>{"hello 42"});
  // The trace pipe is bpfrt's own: hidden from export, named with a leading dot.
  auto exported = rt->export_json();
  ASSERT_TRUE(exported.ok());
  EXPECT_EQ(exported->find("trace_pipe"), std::string::npos);
}

TEST(Registry, LinksAndPerfEvents) {
  TestRegistry reg;
  auto rt = reg.open();
  const uint32_t p = must(rt->load_program(program_spec("p", "mov %r0, 0\nexit")));
  LinkInfo link;
  link.name = "l1";
  link.program = p;
  link.attach_type = "uprobe";
  link.target = "/bin/true:main";
  link.cookie = 5;
  const uint32_t l = must(rt->add_link(link));
  PerfEventInfo ev;
  ev.name = "ev";
  ev.event_type = "software";
  ev.config = 10;
  ev.cpu = 0;
  must(rt->add_perf_event(ev));
  auto links = rt->list_links();
  ASSERT_EQ(links.size(), 1u);
  EXPECT_EQ(links[0].target, "/bin/true:main");
  EXPECT_EQ(links[0].cookie, 5u);
  EXPECT_EQ(rt->list_perf_events().size(), 1u);
  ASSERT_TRUE(rt->remove(ObjectKind::kLink, l).ok());
  EXPECT_TRUE(rt->list_links().empty());
  EXPECT_FALSE(rt->remove(ObjectKind::kLink, l).ok());
}

// A registry with every kind of map, contents, programs, links and perf events.
void populate(Runtime& rt) {
  auto add = [&](MapSpec s, uint32_t inner = 0) { return must(rt.create_map(s, inner)); };
  const uint32_t hash = add(spec_of("hash", MapType::kHash, 4, 8, 16));
  const uint32_t pch = add(spec_of("pch", MapType::kPercpuHash, 4, 4, 8));
  const uint32_t arr = add(spec_of("arr", MapType::kArray, 4, 8, 4));
  const uint32_t pca = add(spec_of("pca", MapType::kPercpuArray, 4, 8, 2));
  const uint32_t lru = add(spec_of("lru", MapType::kLruHash, 8, 8, 8));
  const uint32_t lpm = add(spec_of("lpm", MapType::kLpmTrie, 8, 4, 8, 1));
  const uint32_t q = add(spec_of("q", MapType::kQueue, 0, 4, 8));
  const uint32_t st = add(spec_of("st", MapType::kStack, 0, 4, 8));
  MapSpec bloom = spec_of("bloom", MapType::kBloomFilter, 0, 4, 32);
  bloom.map_extra = 3;
  const uint32_t bl = add(bloom);
  const uint32_t rb = add(spec_of("rb", MapType::kRingbuf, 0, 0, 4096));
  const uint32_t stk = add(spec_of("stk", MapType::kStackTrace, 4, 16, 4));
  add(spec_of("perf", MapType::kPerfEventArray, 4, 4, 2));
  const uint32_t aom = add(spec_of("aom", MapType::kArrayOfMaps, 4, 4, 2), arr);
  const uint32_t hom = add(spec_of("hom", MapType::kHashOfMaps, 4, 4, 2), arr);
  const uint32_t jmp = add(spec_of("jmp", MapType::kProgArray, 4, 4, 2));
  const uint32_t prog = must(rt.load_program(program_spec("count", counter_program(arr))));
  must(rt.load_program(program_spec("idx", "lddw %r1, map_idx(0)\nmov %r0, 0\nexit", {hash})));
  for (uint32_t k = 0; k < 5; ++k) {
    const uint64_t v = k * 11;
    ASSERT_EQ((*rt.map(hash))->update(&k, &v), 0);
    ASSERT_EQ((*rt.map(q))->update(nullptr, &k), 0);
    ASSERT_EQ((*rt.map(st))->update(nullptr, &k), 0);
    ASSERT_EQ((*rt.map(bl))->update(nullptr, &k), 0);
    const uint64_t key8 = k + 100;
    ASSERT_EQ((*rt.map(lru))->update(&key8, &v), 0);
  }
  std::vector<uint8_t> per_cpu((*rt.map(pch))->user_value_size(), 3);
  uint32_t k1 = 1;
  ASSERT_EQ((*rt.map(pch))->update(&k1, per_cpu.data()), 0);
  std::vector<uint8_t> per_cpu8((*rt.map(pca))->user_value_size(), 4);
  ASSERT_EQ((*rt.map(pca))->update(&k1, per_cpu8.data()), 0);
  const uint64_t big = 0xabcdef;
  ASSERT_EQ((*rt.map(arr))->update(&k1, &big), 0);
  struct {
    uint32_t plen;
    uint8_t a[4];
  } lk{16, {10, 1, 0, 0}};
  const uint32_t lv = 77;
  ASSERT_EQ((*rt.map(lpm))->update(&lk, &lv), 0);
  const uint32_t rec = 0x5a5a;
  ASSERT_EQ(ringbuf::output(**rt.map(rb), &rec, 4, 0), 0);
  const uint64_t ips[2] = {0x1000, 0x2000};
  ASSERT_GE(stackmap::store(**rt.map(stk), ips, 0), 0);
  uint32_t zero = 0;
  ASSERT_EQ((*rt.map(aom))->update(&zero, &arr), 0);
  ASSERT_EQ((*rt.map(hom))->update(&k1, &arr), 0);
  ASSERT_EQ((*rt.map(jmp))->update(&k1, &prog), 0);
  LinkInfo link;
  link.name = "link";
  link.program = prog;
  link.attach_type = "tracepoint";
  link.target = "syscalls:sys_enter_openat";
  must(rt.add_link(link));
  PerfEventInfo ev;
  ev.name = "cycles";
  ev.event_type = "hardware";
  ev.program = prog;
  must(rt.add_perf_event(ev));
}

TEST(Registry, ExportImportRoundTripsExactly) {
  TestRegistry a;
  TestRegistry b;
  auto ra = a.open();
  populate(*ra);
  auto first = ra->export_json();
  ASSERT_TRUE(first.ok()) << first.error().message;
  auto rb = b.open();
  auto imported = rb->import_json(*first);
  ASSERT_TRUE(imported.ok()) << imported.error().message;
  auto second = rb->export_json();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*first, *second);
  // The imported program still works on the imported map.
  auto e = rb->engine(*rb->find(ObjectKind::kProgram, "count"));
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(*(*e)->run(nullptr, 0), 1u);  // key 0 of "arr" was 0
  // Importing the same document again clashes on names and changes nothing.
  auto before = rb->export_json();
  ASSERT_TRUE(before.ok());
  auto again = rb->import_json(*first);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("already exists"), std::string::npos) << again.error().message;
  EXPECT_EQ(*rb->export_json(), *before);
}

TEST(Registry, ImportRemapsHandlesThatAreTaken) {
  TestRegistry a;
  TestRegistry b;
  auto ra = a.open();
  const uint32_t m = must(ra->create_map(spec_of("m", MapType::kArray, 4, 8, 1)));
  must(ra->load_program(program_spec("p", counter_program(m))));
  auto doc = ra->export_json();
  ASSERT_TRUE(doc.ok());
  auto rb = b.open();
  must(rb->create_map(spec_of("squatter", MapType::kArray, 4, 8, 1)));  // takes handle 1
  ASSERT_TRUE(rb->import_json(*doc).ok());
  const uint32_t new_m = must(rb->find(ObjectKind::kMap, "m"));
  EXPECT_NE(new_m, m);
  auto e = rb->engine(must(rb->find(ObjectKind::kProgram, "p")));
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(*(*e)->run(nullptr, 0), 1u);
  uint32_t zero = 0;
  uint64_t v = 0;
  ASSERT_EQ((*rb->map(new_m))->lookup(&zero, &v), 0);
  EXPECT_EQ(v, 1u);  // the program uses the remapped map, not the squatter
}

TEST(Registry, ImportRejectsBadDocumentsWithoutChanges) {
  TestRegistry reg;
  auto rt = reg.open();
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"[]", "not a JSON object"},
      {"{", "not a JSON object"},
      {R"({"format":"other","version":1})", "expected format"},
      {R"({"format":"bpfrt-registry","version":1,"maps":[{"handle":1,"name":"m","type":"hash","key_size":4,
          "value_size":8,"max_entries":4,"entries":[{"key":"0100","value":"0000000000000000"}]}]})",
       "maps[0].entries[0].key: expected 4 bytes"},
      {R"({"format":"bpfrt-registry","version":1,"maps":[{"handle":1,"name":"m","type":"nope","key_size":4,
          "value_size":8,"max_entries":4}]})",
       "maps[0].type: unknown map type"},
      {R"({"format":"bpfrt-registry","version":1,"maps":[{"handle":1,"name":"m","type":"array","key_size":4,
          "value_size":8,"max_entries":0}]})",
       "maps[0]:"},
      {R"({"format":"bpfrt-registry","version":1,"programs":[{"handle":1,"name":"p","insns":"ff00000000000000"}]})",
       "programs[0].insns"},
      {R"({"format":"bpfrt-registry","version":1,"programs":[{"handle":1,"name":"p","insns":"1811000007000000000000000000000095000000000000000"}]})",
       "programs[0].insns: expected a hex string"},
      {R"({"format":"bpfrt-registry","version":1,"programs":[{"handle":1,"name":"p",
          "insns":"18110000070000000000000000000000b70000000000000095000000000000000"}]})",
       "expected a hex string"},
  };
  for (const auto& [doc, expect] : bad) {
    auto st = rt->import_json(doc);
    ASSERT_FALSE(st.ok()) << doc;
    EXPECT_NE(st.error().message.find(expect), std::string::npos) << st.error().message;
  }
  EXPECT_TRUE(rt->list_maps().empty());
  EXPECT_TRUE(rt->list_programs().empty());
}

int wait_child(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(Registry, LoaderProcessesShareOneRegistryWithoutWipingEachOther) {
  TestRegistry reg;
  auto rt = reg.open(256);
  std::vector<pid_t> children;
  for (int c = 0; c < 3; ++c) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto mine = Runtime::open({reg.name, 256});
      if (!mine) {
        _exit(2);
      }
      for (int i = 0; i < 30; ++i) {
        auto h = (*mine)->create_map(spec_of(fmt::format("c{}-m{}", c, i), MapType::kHash, 4, 4, 4));
        if (!h) {
          _exit(3);
        }
        uint32_t k = static_cast<uint32_t>(i), v = static_cast<uint32_t>(c);
        if ((*(*mine)->map(*h))->update(&k, &v) != 0) {
          _exit(4);
        }
      }
      _exit(0);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    EXPECT_EQ(wait_child(pid), 0);
  }
  const auto maps = rt->list_maps();
  EXPECT_EQ(maps.size(), 90u);
  for (const RegistryMapInfo& info : maps) {
    auto m = rt->map(info.handle);
    ASSERT_TRUE(m.ok()) << m.error().message;
    int c = 0, i = 0;
    ASSERT_EQ(std::sscanf(info.name.c_str(), "c%d-m%d", &c, &i), 2);
    uint32_t k = static_cast<uint32_t>(i), v = 99;
    ASSERT_EQ((*m)->lookup(&k, &v), 0) << info.name;
    EXPECT_EQ(v, static_cast<uint32_t>(c));
  }
}

TEST(Registry, LoadersKilledMidChangeLeaveItUsable) {
  TestRegistry reg;
  auto rt = reg.open(64);
  for (int round = 0; round < 20; ++round) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto mine = Runtime::open({reg.name, 64});
      if (!mine) {
        _exit(2);
      }
      for (int i = 0;; ++i) {
        auto h = (*mine)->create_map(spec_of(fmt::format("r{}-{}", round, i % 8), MapType::kHash, 4, 4, 64));
        if (h) {
          (void)(*mine)->remove_map(*h);
        }
      }
    }
    usleep(2000 + 500 * static_cast<useconds_t>(round));
    kill(pid, SIGKILL);
    EXPECT_EQ(wait_child(pid), 128 + SIGKILL);
  }
  // Whatever the dead loaders left half-made is reclaimed: the whole capacity is usable.
  for (const RegistryMapInfo& info : rt->list_maps()) {
    ASSERT_TRUE(rt->remove_map(info.handle).ok());
  }
  for (uint32_t i = 0; i < 64; ++i) {
    ASSERT_TRUE(rt->create_map(spec_of(fmt::format("after{}", i), MapType::kArray, 4, 4, 1)).ok()) << i;
  }
}

TEST(Registry, RemoveRegistryRemovesItsObjects) {
  TestRegistry reg;
  std::string map_object;
  {
    auto rt = reg.open();
    const uint32_t h = must(rt->create_map(spec_of("m", MapType::kRingbuf, 0, 0, 4096)));
    map_object = rt->map_info(h)->shm_name;
    must(rt->load_program(program_spec("p", "mov %r0, 0\nexit")));
  }
  struct stat st {};
  ASSERT_EQ(stat(("/dev/shm/" + map_object).c_str(), &st), 0);
  ASSERT_TRUE(Runtime::remove_registry(reg.name).ok());
  EXPECT_NE(stat(("/dev/shm/" + map_object).c_str(), &st), 0);
  EXPECT_NE(stat(("/dev/shm/" + reg.name).c_str(), &st), 0);
  EXPECT_FALSE(Runtime::remove_registry(reg.name).ok());
  EXPECT_FALSE(Runtime::open({"bad name!", 4}).ok());
}

// What a command that created a registry and then failed calls: the registry goes if nothing but
// reserved objects are in it, and stays if it is in use or its name now names another registry.
TEST(Registry, ACreatorRemovesItsRegistryOnlyIfUnused) {
  TestRegistry reg;
  auto shm_objects = [&] {
    size_t n = 0;
    if (DIR* dir = opendir("/dev/shm"); dir != nullptr) {
      while (dirent* e = readdir(dir)) {
        n += std::string(e->d_name).starts_with(reg.name + ".") ? 1 : 0;
      }
      closedir(dir);
    }
    return n;
  };
  struct stat st {};
  auto first = reg.open();
  ASSERT_NE(first, nullptr);
  EXPECT_TRUE(first->created_registry());
  auto second = reg.open();
  ASSERT_NE(second, nullptr);
  EXPECT_FALSE(second->created_registry());
  // Someone else's map keeps it.
  const uint32_t m = must(second->create_map(spec_of("m", MapType::kHash, 4, 4, 4)));
  auto kept = first->remove_registry_if_unused();
  ASSERT_TRUE(kept.ok()) << kept.error().message;
  EXPECT_FALSE(*kept);
  ASSERT_EQ(stat(("/dev/shm/" + reg.name).c_str(), &st), 0);
  ASSERT_TRUE(second->remove_map(m).ok());
  // The trace pipe (reserved) does not, and goes with it.
  ASSERT_TRUE(first->trace_pipe().ok());
  EXPECT_GT(shm_objects(), 0u);
  auto removed = first->remove_registry_if_unused();
  ASSERT_TRUE(removed.ok()) << removed.error().message;
  EXPECT_TRUE(*removed);
  EXPECT_NE(stat(("/dev/shm/" + reg.name).c_str(), &st), 0);
  EXPECT_EQ(shm_objects(), 0u);
  // Made again by another opener: the old creator's call leaves the new registry alone.
  auto third = reg.open();
  ASSERT_NE(third, nullptr);
  EXPECT_TRUE(third->created_registry());
  auto other = first->remove_registry_if_unused();
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(*other);
  EXPECT_EQ(stat(("/dev/shm/" + reg.name).c_str(), &st), 0);
  // A private registry is never removed.
  auto priv = Runtime::open({"", 8});
  ASSERT_TRUE(priv.ok());
  EXPECT_FALSE((*priv)->created_registry());
  EXPECT_FALSE(*(*priv)->remove_registry_if_unused());
}

TEST(Registry, PrivateRegistriesNeedNoSharedMemory) {
  auto rt = Runtime::open({"", 8});
  ASSERT_TRUE(rt.ok());
  const uint32_t m = must((*rt)->create_map(spec_of("m", MapType::kArray, 4, 8, 1)));
  EXPECT_EQ((*rt)->map_info(m)->shm_name, "");
  const uint32_t p = must((*rt)->load_program(program_spec("p", counter_program(m))));
  auto e = (*rt)->engine(p);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(*(*e)->run(nullptr, 0), 1u);
  auto doc = (*rt)->export_json();
  ASSERT_TRUE(doc.ok());
  EXPECT_NE(doc->find("\"name\": \"p\""), std::string::npos);
}

}  // namespace
}  // namespace bpfrt
