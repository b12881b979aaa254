// The runtime: this process's view of a registry of maps, programs, links and perf events.
//
// A registry is a table in a named shared-memory segment (/dev/shm/<name>, mode 0600; default
// "bpfrt", or $BPFRT_REGISTRY) that any number of loader processes open at once: objects get small
// integer handles (like fds, but shared by every process) and unique names per kind. Each map lives
// in its own shared-memory object named from the registry; each program's bytecode too. A registry
// with an empty name is private to the process (same code, anonymous memory).
//
// A Runtime is also the HelperHost of the standard helpers: programs it builds engines for reach the
// registry's maps (map_fd(handle) or map_idx through the program's map list), tail-call the
// registry's programs, and write bpf_trace_printk lines to the registry's trace pipe.
//
// Thread-safety: every method may be called from any thread; changes are serialised by a robust lock
// in the segment, so a loader killed mid-change leaves nothing half-made that others trip over.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bpfrt/engine.hpp"
#include "bpfrt/isa.hpp"
#include "bpfrt/kernel_names.hpp"
#include "bpfrt/maps.hpp"
#include "bpfrt/result.hpp"
#include "bpfrt/standard_helpers.hpp"
#include "bpfrt/verifier.hpp"

namespace bpfrt {

class Arena;
class RegistryStore;
struct Record;

enum class ObjectKind : uint32_t { kMap = 1, kProgram = 2, kLink = 3, kPerfEvent = 4 };
const char* object_kind_name(ObjectKind kind);

struct RegistryOptions {
  std::string name = default_registry_name();  // "" for a registry private to this process
  uint32_t capacity = 1024;                    // objects, when the registry is created
  bool create = true;                          // false: fail with kNotFound if the registry does not exist
  static std::string default_registry_name();  // $BPFRT_REGISTRY, else "bpfrt"
};

struct ObjectInfo {
  uint32_t handle = 0;
  std::string name;
  uint32_t owner_pid = 0;   // the process that created it
  uint64_t created_ns = 0;  // CLOCK_REALTIME
};

// A registry map backed by a kernel map: what another process needs to reopen it (bpf_obj_get on the
// pin, else BPF_MAP_GET_FD_BY_ID on the id) and to check that it is still the same map.
struct KernelMapRef {
  uint32_t id = 0;          // the kernel's map id; 0: not a kernel map
  std::string kernel_name;  // the kernel's name for it (at most 15 characters)
  std::string pin_path;     // its bpffs pin (at most 191 characters), "" if not pinned
  uint32_t holder_pid = 0;  // unpinned: the process whose fds keep it alive
};

// Opens, in this process, the kernel map a registry record names, as a Map delegating to bpf(); `spec`
// is the record's (its name is the registry name), and the opener checks the kernel map still has
// that shape. The kernel library installs it (bpfrt::enable_kernel_maps() in bpfrt/kernel_object.hpp):
// the runtime never calls bpf() itself. Process-wide; nullptr uninstalls.
using KernelMapOpener = Result<std::shared_ptr<Map>> (*)(const MapSpec& spec, const KernelMapRef& ref);
void set_kernel_map_opener(KernelMapOpener opener);
KernelMapOpener kernel_map_opener();

struct RegistryMapInfo : ObjectInfo {
  MapSpec spec;          // spec.inner: the inner-map template of map-in-map types
  std::string shm_name;  // the map's shared-memory object ("" if private or a kernel map)
  uint64_t memory_size = 0;
  KernelMapRef kernel;  // kernel.id != 0: backed by that kernel map
};

struct ProgramSpec {
  std::string name;
  ProgType type = kProgTypeRaw;  // enum bpf_prog_type, or bpfrt's raw type
  std::optional<Program> program;
  std::vector<uint32_t> map_handles;  // the maps `lddw map_idx(N)` refers to (the kernel's fd_array)
  std::string license = "GPL";
  // Verify before registering, as BPF_PROG_LOAD does: the verifier for `type` with this registry's
  // helpers and the specs of the maps the program names. Engines built for a verified program are
  // built through the verifier again, so they get its facts. Off: engines rely on their run-time
  // checks alone (raw bytecode loaded by hand).
  bool verify = false;
  // The context size to verify raw programs against (syscall programs: 0 = any below 64 KiB).
  uint32_t ctx_size = 0;
  int log_level = 0;  // of the verifier's log
};

struct ProgramInfo : ObjectInfo {
  ProgType type = kProgTypeRaw;
  uint32_t insn_count = 0;
  uint64_t tag = 0;                   // the kernel's program tag (see src/runtime/program_tag.hpp)
  std::vector<uint32_t> map_handles;  // maps the program refers to (map_fd and map_idx)
  std::string license;
  bool verified = false;  // verified at load (ProgramSpec::verify)
};

struct LinkInfo : ObjectInfo {
  uint32_t program = 0;
  std::string attach_type;  // e.g. "uprobe", "tracepoint"
  std::string target;       // e.g. "/usr/bin/bash:readline"
  uint64_t cookie = 0;
};

struct PerfEventInfo : ObjectInfo {
  std::string event_type;  // e.g. "software", "tracepoint", "uprobe"
  std::string target;
  uint64_t config = 0;
  int32_t cpu = -1;
  uint32_t program = 0;  // attached program, 0 if none
};

class Runtime final : public HelperHost {
 public:
  // Opens the named registry, creating it if it does not exist.
  [[nodiscard]] static Result<std::unique_ptr<Runtime>> open(const RegistryOptions& options = {});
  // Removes a registry and every shared-memory object it names. Processes that have them open keep
  // working on their mappings.
  static Status remove_registry(const std::string& name);
  // Whether open() created the registry (its name did not exist before).
  bool created_registry() const;
  // For a command that created the registry and then failed: removes it if it holds no objects (the
  // trace pipe aside) and its name still refers to it, so the failure leaves nothing behind; a registry
  // others started using meanwhile stays. Returns whether it was removed (never for a private one).
  Result<bool> remove_registry_if_unused();

  ~Runtime() override;
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  const std::string& registry_name() const { return name_; }
  uint32_t capacity() const;

  // ---- maps ----
  // Names: 1-63 characters of [A-Za-z0-9_.-], not starting with '.' (reserved), not all digits.
  // inner_map: for map-in-map types, the handle of a map whose shape is the template.
  Result<uint32_t> create_map(const MapSpec& spec, uint32_t inner_map = 0);
  // Registers a map made elsewhere in this process (a kernel map delegating to bpf(), see
  // bpfrt/kernel_object.hpp) under `map->spec().name`. With `kernel.id` set, the record names that
  // kernel map and other processes open it through the kernel map opener; otherwise they see the
  // record but cannot open it.
  Result<uint32_t> add_map(std::shared_ptr<Map> map, const KernelMapRef& kernel = {});
  Result<std::shared_ptr<Map>> map(uint32_t handle);
  // By name, or by handle written as a decimal number.
  Result<std::shared_ptr<Map>> map(std::string_view name_or_handle);
  Result<uint32_t> find(ObjectKind kind, std::string_view name_or_handle);
  Result<RegistryMapInfo> map_info(uint32_t handle);
  std::vector<RegistryMapInfo> list_maps();
  Status remove_map(uint32_t handle);

  // ---- programs ----
  // With spec.verify, a refused program is an Error (kRefused) carrying the verifier's log; `report`
  // (if given) receives the verifier's report either way.
  Result<uint32_t> load_program(const ProgramSpec& spec, VerifierReport* report = nullptr);
  Result<Program> program(uint32_t handle);
  Result<ProgramInfo> program_info(uint32_t handle);
  std::vector<ProgramInfo> list_programs();
  Status remove_program(uint32_t handle);
  // An engine running a registered program with this runtime's helpers and maps (built once per kind).
  Result<const Engine*> engine(uint32_t handle, EngineKind kind = EngineKind::kInterpreter);
  // Engine options for any program using this registry's maps: helpers, lddw resolution (map_fd =
  // handle; map_idx = index into fd_array) and the memory of every map the program refers to.
  Result<EngineOptions> engine_options(const Program& program, const std::vector<uint32_t>& fd_array = {});
  // What the verifier needs to know of the maps such a program names: map_fd / map_value by handle,
  // map_idx / map_idx_value through fd_array, described from the registry's specs.
  MapResolver verifier_maps(const std::vector<uint32_t>& fd_array = {});
  const HelperTable& helpers() const { return helpers_; }

  // ---- links and perf events ----
  Result<uint32_t> add_link(const LinkInfo& link);
  std::vector<LinkInfo> list_links();
  Result<uint32_t> add_perf_event(const PerfEventInfo& event);
  std::vector<PerfEventInfo> list_perf_events();
  // Removes any object by handle (links and perf events have no other remover).
  Status remove(ObjectKind kind, uint32_t handle);

  // ---- export / import (docs/maps.md describes the JSON) ----
  Result<std::string> export_json();
  // Adds everything in the document; handles are kept where they are free and references remapped
  // otherwise. Fails without changing anything if a name is taken or the document is malformed.
  Status import_json(std::string_view json);

  // ---- trace pipe ----
  // The ring buffer bpf_trace_printk writes to (created on first use). Records: TraceRecord + text.
  Result<std::shared_ptr<Map>> trace_pipe();
  struct TraceRecord {
    uint64_t timestamp_ns;  // CLOCK_MONOTONIC
    uint32_t pid;
    uint32_t tid;
    uint32_t cpu;
    char comm[16];
  };
  uint64_t trace_lines_lost() const;

  // ---- HelperHost ----
  Map* map_by_handle(uint32_t handle) override;
  int64_t program_type(uint32_t handle) override;
  const Engine* program_engine(uint32_t handle, EngineKind kind) override;
  void trace(std::string_view line) override;

 private:
  struct OpenMap {
    uint32_t generation = 0;
    std::shared_ptr<Map> map;
  };
  struct OpenProgram {
    uint32_t generation = 0;
    std::unique_ptr<Engine> engines[2];
  };

  Runtime(std::string name, std::unique_ptr<RegistryStore> store);
  Result<std::shared_ptr<Map>> open_map_locked(uint32_t handle);
  Result<std::shared_ptr<Map>> open_kernel_record(uint32_t handle, const Record& record);
  Result<uint32_t> create_map_at(const MapSpec& spec, uint32_t preferred_handle);
  Result<uint32_t> load_program_at(const ProgramSpec& spec, uint32_t preferred_handle,
                                   VerifierReport* report = nullptr);
  Result<VerifyOptions> verify_options(const ProgramSpec& spec);
  Result<ProgramSpec> read_program(uint32_t handle);
  void register_regions(const Map& map);
  static bool dynamic_region(const void* self, uint64_t addr, uint64_t len, bool write);

  std::string name_;
  std::unique_ptr<RegistryStore> store_;
  HelperTable helpers_;
  std::mutex mutex_;  // the caches below
  std::map<uint32_t, OpenMap> maps_;
  std::map<uint32_t, OpenProgram> programs_;
  std::vector<std::shared_ptr<Map>> retired_;  // maps replaced in the cache, kept for running programs
  std::vector<std::unique_ptr<Engine>> retired_engines_;
  std::map<uint32_t, std::shared_ptr<Arena>> private_blobs_;  // program bytecode of a private registry
  // Memory of every map opened here, for maps programs reach at run time (map-in-map).
  static constexpr size_t kMaxRegions = 4096;
  std::unique_ptr<MemoryRegion[]> regions_;
  std::atomic<size_t> region_count_{0};
  std::shared_ptr<Map> trace_ring_;
  std::mutex trace_mutex_;
};

}  // namespace bpfrt
