// The kernel backend of the loader: the same BPF object loaded into the running kernel through libbpf
// (bpf_object__open/load), its programs run with BPF_PROG_TEST_RUN, its maps read through bpf().
// Needs CAP_BPF (or root); without it every entry point fails with an error naming the privilege.
//
// Also the map snapshots `bpfrt diff` compares: the contents of a bpfrt map or a kernel map in one
// comparable form (keys sorted, per-CPU values as a multiset, queues and ring buffers in order).
//
// Thread-safety: a KernelObject is used by one thread at a time.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bpfrt/maps.hpp"
#include "bpfrt/object.hpp"
#include "bpfrt/object_loader.hpp"
#include "bpfrt/result.hpp"
#include "bpfrt/runtime.hpp"
#include "bpfrt/test_run.hpp"

struct bpf_object;

namespace bpfrt {

// Error (kUnsupported) naming the missing privilege if this process cannot load BPF programs into the
// kernel; ok otherwise.
Status check_kernel_privilege();

// True for the program types the kernel's BPF_PROG_TEST_RUN runs and bpfrt's test_run models.
bool kernel_can_test_run(ProgType type);

struct KernelLoadOptions {
  std::string btf_path;  // CO-RE target BTF; empty: the running kernel's
  // Programs to load, by function or section name; empty: all. Programs of the same type as a selected
  // one are loaded too when possible (tail-call targets that `.values` puts in prog arrays).
  std::vector<std::string> programs;
  // Pin every map under this bpffs directory (e.g. /sys/fs/bpf/bpfrt/NAME); empty: no pinning, and
  // maps the object pins by name are not pinned either (a private, fresh set of maps).
  std::string pin_dir;
  // Pin every loaded program here (bpffs), as PROGRAM_NAME; empty: programs are not pinned.
  std::string program_pin_dir;
  // Global data maps (.data, .rodata, .bss) start with this opened object's values, so that globals set
  // with Object::set_global before load reach the kernel too (libbpf's skeleton `rodata->x = ...`).
  const Object* initial_values = nullptr;
};

struct KernelMapInfo {
  std::string name;  // libbpf's real name (".rodata" for global data)
  int fd = -1;
  MapSpec spec;
};

struct KernelProgramInfo {
  std::string name;
  std::string section;
  int fd = -1;
  ProgType type = 0;
  std::string pin_path;  // where it is pinned (KernelLoadOptions::program_pin_dir), "" if not
};

class KernelObject {
 public:
  [[nodiscard]] static Result<KernelObject> load(const std::string& path, const KernelLoadOptions& options = {});
  KernelObject(KernelObject&&) noexcept;
  KernelObject& operator=(KernelObject&&) noexcept;
  ~KernelObject();

  const std::string& name() const { return name_; }
  const std::vector<KernelMapInfo>& maps() const { return maps_; }
  const std::vector<KernelProgramInfo>& programs() const { return programs_; }
  const KernelMapInfo* find_map(std::string_view name) const;
  // Where a map of this object is pinned (KernelLoadOptions::pin_dir), "" if it is not.
  std::string map_pin_path(const KernelMapInfo& map) const;
  const KernelProgramInfo* find_program(std::string_view name) const;  // function or section name

  // BPF_PROG_TEST_RUN. duration_ns is the kernel's mean.
  [[nodiscard]] Result<TestRunOutput> test_run(std::string_view program, const TestRunInput& input) const;

 private:
  KernelObject() = default;
  struct Closer {
    void operator()(bpf_object* o) const;
  };
  std::unique_ptr<bpf_object, Closer> obj_;
  std::string name_;
  std::vector<KernelMapInfo> maps_;
  std::map<int, std::string> map_pins_;  // by fd
  std::vector<KernelProgramInfo> programs_;
};

// The contents of one map in a comparable form.
struct MapContents {
  std::string name;
  MapType type = MapType::kUnspec;
  // Non-empty: the contents are not comparable (why: prog arrays hold program references, ...).
  std::string not_compared;
  // Keyed maps: key -> values (one, or each CPU's for per-CPU maps, sorted: which CPU a run used is
  // not part of the result).
  std::map<std::vector<uint8_t>, std::vector<std::vector<uint8_t>>> entries;
  // Queues, stacks, ring buffers: the items, oldest first.
  std::vector<std::vector<uint8_t>> items;
};

// Reads a bpfrt map (queues, stacks and ring buffers are read without consuming them).
MapContents read_map_contents(std::string_view name, Map& map);
// Reads a kernel map through bpf(); queues, stacks and ring buffers are drained.
Result<MapContents> read_kernel_map_contents(const KernelMapInfo& map);

// Every difference between two snapshots of the same map, as lines of text ("key 01 00 00 00: ...").
std::vector<std::string> compare_map_contents(const MapContents& a, std::string_view a_name, const MapContents& b,
                                              std::string_view b_name);

}  // namespace bpfrt

namespace bpfrt {

// A registry map whose operations delegate to bpf() on a kernel map. Userspace operations (lookup,
// update, delete, get_next_key) are bpf() calls, per-CPU values in the syscall layout. Programs:
// - arrays with BPF_F_MMAPABLE (and global data, which libbpf makes mmapable): the kernel's own value
//   memory, mapped into the process, so a bpfrt program and a kernel program update the same memory;
// - hash, LRU hash, arrays without mmap, per-CPU array / hash / LRU hash: a lookup returns a copy owned
//   by the run (Map::prog_lookup_copy), written back with BPF_EXIST when the run ends if it changed
//   (per-CPU: the calling CPU's value); updates and deletes are bpf() calls. Not atomic against
//   concurrent kernel writers: see docs/loader.md, "Shared maps";
// - perf event arrays: bpf_perf_event_output runs the kernel's helper through a small raw-tracepoint
//   program and BPF_PROG_TEST_RUN on the sample's CPU, so kernel perf buffers receive the samples.
// Other types are refused with an error naming the map. The fd is duplicated and kept open while the
// map lives.
[[nodiscard]] Result<std::shared_ptr<Map>> make_kernel_map(const KernelMapInfo& kernel_map, const std::string& name);

// Loads `object` into `runtime` with the maps of `kernel` (the same object loaded into the kernel)
// instead of new ones: the bpfrt programs and the kernel programs share them. Maps are shared when
// make_kernel_map supports their type; the load fails naming any other map. Each map's registry
// record names its kernel map (id, kernel name, pin path if pinned, this process as the holder if
// not), so other processes opening the registry reopen the same kernel map: enable_kernel_maps() is
// called here, and must be called by those processes too.
[[nodiscard]] Result<LoadedObject> load_object_with_kernel_maps(Runtime& runtime, const Object& object,
                                                                const KernelObject& kernel,
                                                                ObjectLoadOptions options = {});

// The registry reference of a kernel map: its id and kernel name (BPF_OBJ_GET_INFO_BY_FD), its pin
// path, and this process as the holder when it is not pinned.
[[nodiscard]] Result<KernelMapRef> kernel_map_ref(const KernelMapInfo& kernel_map, const std::string& pin_path = "");

// Reopens the kernel map a registry record names (bpf_obj_get on its pin, else BPF_MAP_GET_FD_BY_ID),
// checks it still has the record's type, key/value size, max_entries, flags and kernel name, and wraps
// it as make_kernel_map does. Errors name the map and the cause: the privilege (BPF_MAP_GET_FD_BY_ID
// needs CAP_SYS_ADMIN), "kernel map id N no longer exists" (with why, when known), a changed shape.
[[nodiscard]] Result<std::shared_ptr<Map>> open_kernel_map(const MapSpec& spec, const KernelMapRef& ref);

// Installs open_kernel_map as the runtime's kernel map opener (set_kernel_map_opener), so registry
// records naming kernel maps open in this process. Idempotent; any thread.
void enable_kernel_maps();

}  // namespace bpfrt
