// Kernel maps shared with other processes through a named registry: the parent loads an object into
// the kernel and registers its maps as kernel-backed records (load_object_with_kernel_maps); forked
// children open the registry, reopen the kernel maps by id, and run the registry's bpfrt programs
// (interpreter and JIT) on them; the parent sees their changes through bpf() and in the kernel
// program's runs. Also the errors: no opener installed, a kernel map that is gone, a record naming
// another map, a process without CAP_SYS_ADMIN. Label `kernel`: needs root and skips without it.
#include <chrono>
#include <cstring>
#include <optional>
#include <thread>
#include <vector>

#include <bpf/bpf.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpfrt/kernel_object.hpp"

#include "corpus.hpp"

namespace bpfrt {
namespace {

// 42 bytes: a UDP packet to port 53.
const std::vector<uint8_t> kPacket = {0, 0,  0,  0, 0, 0,  2, 0, 0, 0,  0, 1, 0x08, 0x00, 0x45, 0, 0,  28, 0, 1, 0,
                                      0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,    0x04, 0xd2, 0, 53, 0,  8, 0, 0};
constexpr uint32_t kLen = 42;
constexpr const char* kProgram = "shared_registry.xdp_tally";

std::string registry_name(const char* what) {
  return fmt::format("bpfrt-kshare-{}-{}", what, getpid());
}

// Runs a program of the registry like BPF_PROG_TEST_RUN (verified), with the registry's maps.
Result<TestRunOutput> run_registered(Runtime& rt, EngineKind kind, uint32_t repeat) {
  auto handle = rt.find(ObjectKind::kProgram, kProgram);
  if (!handle) {
    return handle.take_error();
  }
  auto info = rt.program_info(*handle);
  auto program = rt.program(*handle);
  if (!info || !program) {
    return make_error(ErrorCode::kNotFound, "program vanished");
  }
  auto engine = rt.engine_options(*program, info->map_handles);
  if (!engine) {
    return engine.take_error();
  }
  TestRunOptions options;
  options.engine = std::move(*engine);
  options.maps = rt.verifier_maps(info->map_handles);
  TestRunInput in;
  in.data_in = kPacket;
  in.repeat = repeat;
  return test_run(kind, *program, info->type, std::move(options), in);
}

uint64_t kernel_u64(const KernelObject& k, const char* map, uint32_t key) {
  const KernelMapInfo* m = k.find_map(map);
  uint64_t v = 0;
  if (m == nullptr || bpf_map_lookup_elem(m->fd, &key, &v) != 0) {
    ADD_FAILURE() << map << " key " << key << ": " << std::strerror(errno);
  }
  return v;
}

uint64_t registry_u64(Runtime& rt, const char* map, uint32_t key) {
  auto m = rt.map(map);
  uint64_t v = 0;
  if (!m) {
    ADD_FAILURE() << m.error().message;
  } else if (const int rc = (*m)->lookup(&key, &v); rc != 0) {
    ADD_FAILURE() << map << " key " << key << ": " << rc;
  }
  return v;
}

// Runs `body` in a child process; true if it exited 0 with no gtest failure.
template <class F>
bool in_child(F body) {
  const pid_t pid = fork();
  if (pid == 0) {
    body();
    std::fflush(stdout);
    _exit(testing::Test::HasFailure() ? 1 : 0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// The object in the kernel and its maps as kernel-backed records of a named registry.
struct SharedLoad {
  std::string registry;
  std::optional<Object> object;
  std::optional<KernelObject> kernel;
  std::unique_ptr<Runtime> runtime;
  std::optional<LoadedObject> loaded;

  ~SharedLoad() {
    runtime.reset();
    if (!registry.empty()) {
      (void)Runtime::remove_registry(registry);
    }
  }
};

// Empty `why`: loaded. Otherwise the reason to skip (or a failure already reported).
std::string load_shared(SharedLoad& s, const std::string& registry) {
  if (auto why = check_kernel_privilege(); !why) {
    return why.error().message;
  }
  const std::string path = test::corpus_path("shared_registry");
  auto obj = Object::open(path);
  if (!obj) {
    return "corpus: " + obj.error().message;
  }
  s.object.emplace(std::move(*obj));
  auto kernel = KernelObject::load(path);
  if (!kernel) {
    ADD_FAILURE() << kernel.error().message;
    return "kernel load failed";
  }
  s.kernel.emplace(std::move(*kernel));
  s.registry = registry;
  (void)Runtime::remove_registry(s.registry);
  RegistryOptions ro;
  ro.name = s.registry;
  auto rt = Runtime::open(ro);
  if (!rt) {
    ADD_FAILURE() << rt.error().message;
    return "registry failed";
  }
  s.runtime = std::move(*rt);
  auto loaded = load_object_with_kernel_maps(*s.runtime, *s.object, *s.kernel);
  if (!loaded) {
    ADD_FAILURE() << loaded.error().message;
    return "shared load failed";
  }
  s.loaded.emplace(std::move(*loaded));
  return "";
}

std::unique_ptr<Runtime> open_registry(const std::string& name) {
  RegistryOptions ro;
  ro.name = name;
  ro.create = false;
  auto rt = Runtime::open(ro);
  EXPECT_TRUE(rt.ok()) << rt.error().message;
  return rt ? std::move(*rt) : nullptr;
}

TEST(KernelRegistryShare, RecordsNameTheKernelMaps) {
  SharedLoad s;
  if (const std::string why = load_shared(s, registry_name("records")); !why.empty()) {
    GTEST_SKIP() << why;
  }
  for (const char* name : {"by_len", "totals", "hits"}) {
    const KernelMapInfo* km = s.kernel->find_map(name);
    ASSERT_NE(km, nullptr);
    bpf_map_info info{};
    uint32_t len = sizeof(info);
    ASSERT_EQ(bpf_obj_get_info_by_fd(km->fd, &info, &len), 0);
    auto handle = s.runtime->find(ObjectKind::kMap, fmt::format("shared_registry.{}", name));
    ASSERT_TRUE(handle.ok());
    auto rec = s.runtime->map_info(*handle);
    ASSERT_TRUE(rec.ok());
    EXPECT_EQ(rec->kernel.id, info.id) << name;
    EXPECT_EQ(rec->kernel.kernel_name, std::string(info.name)) << name;
    EXPECT_EQ(rec->kernel.holder_pid, static_cast<uint32_t>(getpid()));
    EXPECT_TRUE(rec->kernel.pin_path.empty());
    EXPECT_TRUE(rec->shm_name.empty());
    EXPECT_EQ(rec->spec.max_entries, info.max_entries);
  }
}

TEST(KernelRegistryShare, AnotherProcessRunsBpfrtProgramsOnTheKernelMaps) {
  SharedLoad s;
  if (const std::string why = load_shared(s, registry_name("cross")); !why.empty()) {
    GTEST_SKIP() << why;
  }
  TestRunInput in;
  in.data_in = kPacket;
  ASSERT_TRUE(s.kernel->test_run("xdp_tally", in).ok());  // the kernel program: 1 packet
  const std::string registry = s.registry;
  ASSERT_TRUE(in_child([&] {
    // Without the opener, a kernel record is a clear error naming the map and the fix.
    set_kernel_map_opener(nullptr);
    auto bare = open_registry(registry);
    ASSERT_NE(bare, nullptr);
    auto refused = bare->map("shared_registry.by_len");
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("'shared_registry.by_len'"), std::string::npos) << refused.error().message;
    EXPECT_NE(refused.error().message.find("enable_kernel_maps()"), std::string::npos) << refused.error().message;

    enable_kernel_maps();
    auto rt = open_registry(registry);
    ASSERT_NE(rt, nullptr);
    EXPECT_EQ(registry_u64(*rt, "shared_registry.by_len", kLen), 1u);  // the parent's kernel run
    for (EngineKind kind : {EngineKind::kInterpreter, EngineKind::kJit}) {
      auto out = run_registered(*rt, kind, 2);
      ASSERT_TRUE(out.ok()) << engine_kind_name(kind) << ": " << out.error().message;
      EXPECT_EQ(out->retval, 2u);  // XDP_PASS
    }
    auto by_len = rt->map("shared_registry.by_len");
    ASSERT_TRUE(by_len.ok()) << by_len.error().message;
    const uint32_t key = 7;
    const uint64_t value = 700;
    ASSERT_EQ((*by_len)->update(&key, &value), 0);
    EXPECT_EQ(registry_u64(*rt, "shared_registry.totals", 0), 5u);
  }));
  // The child's 4 runs and its update, through bpf() in the parent...
  EXPECT_EQ(kernel_u64(*s.kernel, "by_len", kLen), 5u);
  EXPECT_EQ(kernel_u64(*s.kernel, "by_len", 7), 700u);
  EXPECT_EQ(kernel_u64(*s.kernel, "totals", 0), 5u);
  EXPECT_EQ(kernel_u64(*s.kernel, "totals", 1), 5u * kLen);
  EXPECT_EQ(kernel_u64(*s.kernel, "hits", 0), 5u);
  // ...and in the kernel program's next run, which builds on them.
  ASSERT_TRUE(s.kernel->test_run("xdp_tally", in).ok());
  EXPECT_EQ(kernel_u64(*s.kernel, "by_len", kLen), 6u);
  EXPECT_EQ(kernel_u64(*s.kernel, "totals", 1), 6u * kLen);
  EXPECT_EQ(registry_u64(*s.runtime, "shared_registry.totals", 0), 6u);
  EXPECT_EQ(registry_u64(*s.runtime, "shared_registry.hits", 0), 6u);
}

TEST(KernelRegistryShare, TakingTurnsAcrossProcessesCountsExactly) {
  SharedLoad s;
  if (const std::string why = load_shared(s, registry_name("turns")); !why.empty()) {
    GTEST_SKIP() << why;
  }
  constexpr int kRounds = 20;
  int to_child[2];
  int to_parent[2];
  ASSERT_EQ(pipe(to_child), 0);
  ASSERT_EQ(pipe(to_parent), 0);
  const std::string registry = s.registry;
  const pid_t pid = fork();
  if (pid == 0) {
    enable_kernel_maps();
    auto rt = open_registry(registry);
    char token = 0;
    for (int i = 0; i < kRounds && rt != nullptr; ++i) {
      if (read(to_child[0], &token, 1) != 1) {
        break;
      }
      auto out = run_registered(*rt, i % 2 == 0 ? EngineKind::kJit : EngineKind::kInterpreter, 1);
      EXPECT_TRUE(out.ok()) << out.error().message;
      EXPECT_EQ(write(to_parent[1], &token, 1), 1);
    }
    std::fflush(stdout);
    _exit(testing::Test::HasFailure() ? 1 : 0);
  }
  TestRunInput in;
  in.data_in = kPacket;
  char token = 1;
  for (int i = 0; i < kRounds; ++i) {
    ASSERT_TRUE(s.kernel->test_run("xdp_tally", in).ok());               // the kernel program
    auto out = run_registered(*s.runtime, EngineKind::kInterpreter, 1);  // bpfrt in this process
    ASSERT_TRUE(out.ok()) << out.error().message;
    ASSERT_EQ(write(to_child[1], &token, 1), 1);  // bpfrt in the other process, then back
    ASSERT_EQ(read(to_parent[0], &token, 1), 1);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  for (int fd : {to_child[0], to_child[1], to_parent[0], to_parent[1]}) {
    close(fd);
  }
  EXPECT_EQ(kernel_u64(*s.kernel, "by_len", kLen), 3u * kRounds);
  EXPECT_EQ(kernel_u64(*s.kernel, "totals", 0), 3u * kRounds);
  EXPECT_EQ(kernel_u64(*s.kernel, "totals", 1), 3u * kRounds * kLen);
  EXPECT_EQ(kernel_u64(*s.kernel, "hits", 0), 3u * kRounds);
}

TEST(KernelRegistryShare, ARecordWhoseKernelMapIsGoneIsAClearError) {
  if (auto why = check_kernel_privilege(); !why) {
    GTEST_SKIP() << why.error().message;
  }
  if (!test::have_corpus_object("shared_registry")) {
    GTEST_SKIP() << "the BPF corpus was not built";
  }
  const std::string registry = registry_name("gone");
  (void)Runtime::remove_registry(registry);
  pid_t holder = 0;
  {
    // A process loads and exits without removing its records (as if killed).
    holder = fork();
    if (holder == 0) {
      SharedLoad s;
      const std::string why = load_shared(s, registry);
      s.registry.clear();  // keep the registry: the parent looks at it
      std::fflush(stdout);
      _exit(why.empty() ? 0 : 1);
    }
    int status = 0;
    waitpid(holder, &status, 0);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  enable_kernel_maps();
  auto rt = open_registry(registry);
  ASSERT_NE(rt, nullptr);
  auto handle = rt->find(ObjectKind::kMap, "shared_registry.by_len");
  ASSERT_TRUE(handle.ok()) << handle.error().message;
  const RegistryMapInfo info = *rt->map_info(*handle);
  // The kernel frees the map once the exited process's programs are gone (an RCU grace period later).
  Result<std::shared_ptr<Map>> map = std::shared_ptr<Map>();
  for (int i = 0; i < 200; ++i) {
    map = std::shared_ptr<Map>();  // an fd of ours would keep the map alive
    auto fresh = open_registry(registry);
    map = fresh->map("shared_registry.by_len");
    if (!map) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_FALSE(map.ok());
  const std::string& msg = map.error().message;
  EXPECT_NE(msg.find(fmt::format("kernel map id {} no longer exists", info.kernel.id)), std::string::npos) << msg;
  EXPECT_NE(msg.find(fmt::format("pid {}, has exited", holder)), std::string::npos) << msg;
  EXPECT_NE(msg.find("'shared_registry.by_len'"), std::string::npos) << msg;
  // Unloading removes the stale records.
  auto removed = unload_object_by_name(*rt, "shared_registry");
  ASSERT_TRUE(removed.ok()) << removed.error().message;
  EXPECT_EQ(*removed, 4u);  // three maps and the program
  rt.reset();
  (void)Runtime::remove_registry(registry);
}

TEST(KernelRegistryShare, ARecordNamingAnotherKernelMapIsRefused) {
  SharedLoad s;
  if (const std::string why = load_shared(s, registry_name("other")); !why.empty()) {
    GTEST_SKIP() << why;
  }
  // A record with by_len's shape and name but the id of `totals` (as if the id had been reused).
  const KernelMapInfo* by_len = s.kernel->find_map("by_len");
  const KernelMapInfo* totals = s.kernel->find_map("totals");
  ASSERT_NE(by_len, nullptr);
  ASSERT_NE(totals, nullptr);
  auto map = make_kernel_map(*by_len, "impostor");
  ASSERT_TRUE(map.ok());
  auto ref = kernel_map_ref(*by_len);
  ASSERT_TRUE(ref.ok());
  ref->id = kernel_map_ref(*totals)->id;
  ASSERT_TRUE(s.runtime->add_map(*map, *ref).ok());
  auto other = open_registry(s.registry);  // a fresh view: nothing cached
  auto opened = other->map("impostor");
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().message.find("not the same map any more"), std::string::npos) << opened.error().message;
  EXPECT_NE(opened.error().message.find("'totals'"), std::string::npos) << opened.error().message;
}

TEST(KernelRegistryShare, WithoutCapSysAdminTheErrorNamesThePrivilege) {
  SharedLoad s;
  if (const std::string why = load_shared(s, registry_name("priv")); !why.empty()) {
    GTEST_SKIP() << why;
  }
  const std::string registry = s.registry;
  ASSERT_TRUE(in_child([&] {
    // Drop CAP_SYS_ADMIN from the effective set (root keeps the others, CAP_BPF included).
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    ASSERT_EQ(syscall(SYS_capget, &header, data), 0);
    data[CAP_SYS_ADMIN / 32].effective &= ~(1u << (CAP_SYS_ADMIN % 32));
    ASSERT_EQ(syscall(SYS_capset, &header, data), 0);
    enable_kernel_maps();
    auto rt = open_registry(registry);
    ASSERT_NE(rt, nullptr);
    auto map = rt->map("shared_registry.totals");
    ASSERT_FALSE(map.ok());
    EXPECT_NE(map.error().message.find("needs CAP_SYS_ADMIN"), std::string::npos) << map.error().message;
    EXPECT_NE(map.error().message.find("'shared_registry.totals'"), std::string::npos) << map.error().message;
  }));
}

TEST(KernelRegistryShare, ExportSnapshotsAndImportRefusesKernelRecords) {
  SharedLoad s;
  if (const std::string why = load_shared(s, registry_name("json")); !why.empty()) {
    GTEST_SKIP() << why;
  }
  TestRunInput in;
  in.data_in = kPacket;
  ASSERT_TRUE(s.kernel->test_run("xdp_tally", in).ok());
  auto doc = s.runtime->export_json();
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_NE(doc->find("\"kernel\""), std::string::npos);
  EXPECT_NE(doc->find("\"key\": \"2a000000\""), std::string::npos) << *doc;  // by_len[42], read through bpf()
  RegistryOptions ro;
  ro.name = "";
  auto fresh = Runtime::open(ro);
  ASSERT_TRUE(fresh.ok());
  auto imported = (*fresh)->import_json(*doc);
  ASSERT_FALSE(imported.ok());
  EXPECT_NE(imported.error().message.find("was a kernel map when exported"), std::string::npos)
      << imported.error().message;
  EXPECT_TRUE((*fresh)->list_maps().empty());
}

}  // namespace
}  // namespace bpfrt
