// Maps: the state eBPF programs keep and share, with the kernel's types, flags and error codes.
//
// A Map is this process's handle to a map's memory. The memory is either private (anonymous pages) or a
// named POSIX shared-memory object (created with mode 0600) that other processes open by name, so a
// map made by one process is read and written by programs in another. Every map's memory is laid out
// once, at creation, from its spec (the kernel's preallocation): no operation allocates, so none can
// fail for lack of memory half-way; a full map answers with the kernel's error (-E2BIG, -ENOSPC).
//
// Element operations return 0 or a negative errno exactly as the bpf() syscall and the helpers do
// (-ENOENT, -EEXIST, -E2BIG, -EINVAL, -EOPNOTSUPP, -ENOTSUPP (524), ...). The userspace operations
// (lookup/update/erase/...) copy keys and values like BPF_MAP_*_ELEM; per-CPU maps take and return one
// value per possible CPU, each rounded up to 8 bytes. The program operations (prog_*) are what the
// helpers call: lookups return a pointer into the map, per-CPU maps act on the calling CPU's value.
//
// Thread- and process-safety: every operation may be called concurrently from any thread of any
// process that has the map open. Lookups take no lock; updates take robust process-shared locks, so a
// process killed while holding one leaves the map consistent and usable (the next locker repairs it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bpfrt/engine.hpp"
#include "bpfrt/result.hpp"

namespace bpfrt {

// Numbered as enum bpf_map_type in <linux/bpf.h>.
enum class MapType : uint32_t {
  kUnspec = 0,
  kHash = 1,
  kArray = 2,
  kProgArray = 3,
  kPerfEventArray = 4,
  kPercpuHash = 5,
  kPercpuArray = 6,
  kStackTrace = 7,
  kLruHash = 9,
  kLruPercpuHash = 10,
  kLpmTrie = 11,
  kArrayOfMaps = 12,
  kHashOfMaps = 13,
  kQueue = 22,
  kStack = 23,
  kRingbuf = 27,
  kBloomFilter = 30,
};

// "hash", "percpu_array", "lru_hash", ... (bpftool's names); also accepts the BPF_MAP_TYPE_ spelling.
const char* map_type_name(MapType type);
Result<MapType> parse_map_type(std::string_view name);
// Every type bpfrt implements, in kernel order.
std::span<const MapType> supported_map_types();

// Update flags and errno values the kernel uses that userspace headers lack.
inline constexpr uint64_t kBpfAny = 0;
inline constexpr uint64_t kBpfNoexist = 1;
inline constexpr uint64_t kBpfExist = 2;
inline constexpr uint64_t kBpfFLock = 4;
inline constexpr int kENOTSUPP = 524;  // the kernel's internal ENOTSUPP, which bpf() does return

struct MapSpec {
  MapType type = MapType::kUnspec;
  uint32_t key_size = 0;
  uint32_t value_size = 0;
  uint32_t max_entries = 0;
  uint32_t flags = 0;             // BPF_F_* creation flags
  uint64_t map_extra = 0;         // bloom filter: number of hash functions; perf event array: bytes per buffer
  int32_t spin_lock_offset = -1;  // offset of a struct bpf_spin_lock in the value (the kernel finds it in BTF)
  std::string name;
  // Map-in-map types: the shape every inner map must have (the kernel's inner_map_fd template).
  std::shared_ptr<const MapSpec> inner;
};

// Checks a spec the way the kernel's map_alloc_check does. Returns 0 or the kernel's -errno, and
// explains a refusal in `why`.
int check_map_spec(const MapSpec& spec, std::string* why = nullptr);

// Number of possible CPUs (/sys/devices/system/cpu/possible), the per-CPU value count.
uint32_t possible_cpus();
// The CPU the calling thread runs on, in [0, possible_cpus()).
uint32_t current_cpu();

class Map;
class Arena;

// What maps need from whoever owns them (the runtime): other maps and programs by handle, for
// map-in-map values and prog arrays. Implementations must be thread-safe.
class MapHost {
 public:
  virtual ~MapHost() = default;
  // The map with this handle, open in this process and kept open while the host lives; nullptr if none.
  virtual Map* map_by_handle(uint32_t handle) = 0;
  // The program type of the program with this handle, or -1 if there is none.
  virtual int64_t program_type(uint32_t handle) = 0;
  // An engine of `kind` running that program (bpf_tail_call); nullptr if there is none.
  virtual const Engine* program_engine(uint32_t handle, EngineKind kind) = 0;
};

// Where a map's memory lives.
struct MapStorage {
  // Empty: private anonymous memory. Otherwise the name of a POSIX shared-memory object (no leading
  // slash) that is created with mode 0600 and must not exist yet.
  std::string shm_name;
};

// One element visited by Map::for_each: pointers into the map, valid during the call.
struct MapElement {
  const uint8_t* key;
  uint8_t* value;  // program view: the calling CPU's value for per-CPU maps
};

class Map {
 public:
  virtual ~Map();
  Map(const Map&) = delete;
  Map& operator=(const Map&) = delete;

  const MapSpec& spec() const { return spec_; }
  MapType type() const { return spec_.type; }
  uint32_t key_size() const { return spec_.key_size; }
  uint32_t value_size() const { return spec_.value_size; }
  uint32_t max_entries() const { return spec_.max_entries; }
  uint32_t ncpus() const { return ncpus_; }
  bool is_percpu() const;
  // Bytes of a value in the userspace API: value_size, or ncpus * round_up(value_size, 8) per-CPU.
  size_t user_value_size() const;
  // The shared-memory object holding the map, or "" for private memory.
  const std::string& shm_name() const;
  size_t memory_size() const;

  // ---- userspace operations (BPF_MAP_*_ELEM): 0 or -errno ----
  // As through bpf(): flags and permissions (BPF_F_RDONLY/WRONLY) are checked first, as the syscall
  // does, then the map type decides. Keyless types (queue, stack, bloom filter, ring buffer) take a
  // null key; lookup_and_delete pops them.
  int lookup(const void* key, void* value, uint64_t flags = 0);
  int update(const void* key, const void* value, uint64_t flags = kBpfAny);
  int erase(const void* key);
  int lookup_and_delete(const void* key, void* value, uint64_t flags = 0);
  // `key` null: the first key. The kernel's order: hash maps by bucket, arrays by index.
  int get_next_key(const void* key, void* next_key);
  // BPF_MAP_FREEZE: from now on the userspace API may not write the map (-EPERM), in every process;
  // programs still may unless the map has BPF_F_RDONLY_PROG. -EBUSY if it is frozen already.
  virtual int freeze();
  virtual bool frozen() const;

  // ---- batch operations (BPF_MAP_*_BATCH) ----
  // Visits up to `count` elements starting at `*cursor` (0 to begin), copying keys and values into
  // the arrays (count * key_size, count * user_value_size bytes). Returns the number copied and sets
  // `*done` when the iteration is complete; -errno on a bad argument.
  virtual int lookup_batch(uint64_t* cursor, void* keys, void* values, uint32_t count, bool* done);
  // The same, deleting what it returns.
  virtual int lookup_and_delete_batch(uint64_t* cursor, void* keys, void* values, uint32_t count, bool* done);
  // Applies update() to each pair; stops at the first failure. Returns the number applied, and the
  // error of the failing element in `*error` (0 if none).
  int update_batch(const void* keys, const void* values, uint32_t count, uint64_t flags, int* error);
  int delete_batch(const void* keys, uint32_t count, int* error);

  // ---- program operations (the helpers) ----
  // Pointer to the value (this CPU's for per-CPU maps; an inner map's program handle for map-in-map
  // types, as a pointer) or nullptr.
  virtual void* prog_lookup(const void* key);
  virtual long prog_update(const void* key, const void* value, uint64_t flags);
  virtual long prog_delete(const void* key);
  virtual long push(const void* value, uint64_t flags);
  virtual long pop(void* value);
  virtual long peek(void* value);
  // Calls fn for each element until it returns non-zero; returns the number of calls made.
  // (bpf_for_each_map_elem; hash, array and their per-CPU and LRU forms.)
  virtual long for_each(const std::function<long(const MapElement&)>& fn);

  // Maps whose values live outside this process (kernel maps without mmap): a program's lookup gets a
  // copy owned by its run, which the helpers take with prog_lookup_copy and hand back with
  // prog_run_end(run) once the run has ended, when the map writes changed copies back. `run` is an
  // opaque token, the same for every lookup of one run. Other maps: copies_values() is false.
  virtual bool copies_values() const { return false; }
  virtual void* prog_lookup_copy(const void* key, const void* run);
  virtual void prog_run_end(const void* run);
  // bpf_perf_event_output into a perf event array that is not bpfrt's own (a kernel map); -EINVAL
  // for every other map.
  virtual long perf_output(uint64_t flags, const void* data, uint64_t size);

  // Contents that key iteration cannot reach, for export and import: a bloom filter's bit array (one
  // item), queue and stack elements oldest first, unread ring-buffer records, stack traces (u32 id
  // followed by the addresses). Empty for the other types. import_items adds to what is there.
  virtual std::vector<std::vector<uint8_t>> export_items() const;
  virtual int import_items(const std::vector<std::vector<uint8_t>>& items);

  // Prog arrays and array-of-maps: the program or map handle in slot `index`, 0 if empty.
  virtual uint32_t handle_at(uint32_t index) const;

  // ---- glue for the engines ----
  // The 64-bit constant `lddw map_fd` loads for this map: what the helpers accept as a map argument.
  uint64_t program_handle() const;
  // The map behind a program handle, or nullptr if the value is not one (garbage from a program).
  static Map* from_program_handle(uint64_t handle);
  // Memory programs may touch: values (writable unless BPF_F_RDONLY_PROG), keys and index tables
  // (read-only, for for_each callbacks), ring-buffer data.
  const std::vector<MemoryRegion>& regions() const { return regions_; }
  // Address of the value of a single-element array plus `offset` (lddw map_value), or an error.
  virtual Result<uint64_t> direct_value_address(uint32_t offset);
  // How an engine may run bpf_map_lookup_elem on this map without the helper (its `replaces` left
  // null for the caller to fill): by default a direct call of prog_lookup, none for maps that copy
  // values (copies_values); plain arrays describe their value layout so the lookup can be inlined.
  virtual MapLookupShortcut lookup_shortcut();

  MapHost* host() const { return host_; }
  void set_host(MapHost* host) { host_ = host; }

 protected:
  // `arena` holds the map's memory, already laid out; see src/maps/map_base.hpp.
  Map(MapSpec spec, std::unique_ptr<Arena> arena, MapHost* host);

  Arena& arena() const { return *arena_; }
  // Memory programs may touch, registered by each map type.
  void add_region(const void* start, size_t size, bool writable);

  // The type-specific halves of the userspace operations (defaults: -ENOTSUPP).
  virtual int do_lookup(const void* key, void* value, uint64_t flags);
  virtual int do_update(const void* key, const void* value, uint64_t flags);
  virtual int do_erase(const void* key);
  virtual int do_lookup_and_delete(const void* key, void* value, uint64_t flags);
  virtual int do_get_next_key(const void* key, void* next_key);

  MapSpec spec_;
  uint32_t ncpus_ = 1;
  MapHost* host_ = nullptr;

 private:
  std::unique_ptr<Arena> arena_;
  std::vector<MemoryRegion> regions_;
  uint32_t slot_ = 0;
};

// Creates a map, in private memory or a new shared-memory object.
[[nodiscard]] Result<std::shared_ptr<Map>> create_map(const MapSpec& spec, const MapStorage& storage = {},
                                                      MapHost* host = nullptr);
// Opens a map another process (or this one) created in shared memory. `name` replaces the name kept in
// the map's memory when non-empty.
[[nodiscard]] Result<std::shared_ptr<Map>> open_map(const std::string& shm_name, MapHost* host = nullptr);
// Removes a shared-memory map object and its notification FIFO (processes that have it open keep it).
Status unlink_map_storage(const std::string& shm_name);

// ---- ring buffer consumer (libbpf's ring_buffer__poll) ----
class RingBufferConsumer {
 public:
  using Callback = std::function<int(std::span<const uint8_t> record)>;

  // `map` must be a BPF_MAP_TYPE_RINGBUF map; one consumer per ring buffer at a time.
  [[nodiscard]] static Result<std::unique_ptr<RingBufferConsumer>> create(std::shared_ptr<Map> map);
  ~RingBufferConsumer();

  // Hands every submitted record to fn, in order, skipping discarded ones. Stops early when fn returns
  // non-zero. Returns the number of records consumed.
  int consume(const Callback& fn);
  // Waits up to timeout_ms (-1: forever) for records, then consumes them. Returns the number consumed,
  // 0 on timeout, or an error.
  Result<int> poll(int timeout_ms, const Callback& fn);
  // Becomes readable when producers signal new data; for epoll in an event loop (then call consume()).
  int fd() const;

 private:
  struct Impl;
  explicit RingBufferConsumer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// ---- perf event array consumer (libbpf's perf_buffer__poll) ----
class PerfBufferConsumer {
 public:
  using SampleFn = std::function<void(uint32_t cpu, std::span<const uint8_t> data)>;
  using LostFn = std::function<void(uint32_t cpu, uint64_t lost)>;

  // `map` must be a BPF_MAP_TYPE_PERF_EVENT_ARRAY map.
  [[nodiscard]] static Result<std::unique_ptr<PerfBufferConsumer>> create(std::shared_ptr<Map> map);
  ~PerfBufferConsumer();

  // Reads every buffer; returns the number of samples delivered.
  int consume(const SampleFn& sample, const LostFn& lost = nullptr);
  Result<int> poll(int timeout_ms, const SampleFn& sample, const LostFn& lost = nullptr);
  int fd() const;

 private:
  struct Impl;
  explicit PerfBufferConsumer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Program-side entry points for ring buffers and perf event arrays (the helpers call these).
namespace ringbuf {
// Reserves `size` bytes in the ring buffer `map`; nullptr if the map is not a ring buffer or full.
void* reserve(Map& map, uint64_t size, uint64_t flags);
// Submits or discards a reservation; false if `data` is not an outstanding reservation.
bool commit(void* data, uint64_t flags, bool discard);
long output(Map& map, const void* data, uint64_t size, uint64_t flags);
uint64_t query(Map& map, uint64_t flags);
}  // namespace ringbuf

namespace perfbuf {
// bpf_perf_event_output: writes a sample to the buffer of the index in `flags` (or the current CPU).
long output(Map& map, uint64_t flags, const void* data, uint64_t size);
}  // namespace perfbuf

// Stack trace maps (bpf_get_stackid): stores `ips` and returns the stack id or -errno.
namespace stackmap {
long store(Map& map, std::span<const uint64_t> ips, uint64_t flags);
}  // namespace stackmap

}  // namespace bpfrt
