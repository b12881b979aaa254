// The registry's table in shared memory: a header and `capacity` fixed-size records, one per object.
//
// Layout: RegistryHeader (robust lock, capacity, counters) then Record[capacity]; a handle is a
// record's index + 1. A record is claimed under the lock in state kCreating, its object (map memory,
// program bytecode) is made, and it turns kLive; a creator that dies in between leaves a kCreating
// record with a dead owner, which the next allocation reclaims together with its object. The segment
// is created under a temporary name and linked into place once laid out, so an opener never sees a
// half-initialised registry and two creators cannot wipe each other.
// Thread-safety: mutators REQUIRE the lock (RegistryStore::Lock); `state` and `generation` are atomic
// so caches may check a record without it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "bpfrt/runtime.hpp"

#include "maps/arena.hpp"
#include "maps/robust_mutex.hpp"

namespace bpfrt {

inline constexpr uint32_t kRecordFree = 0;
inline constexpr uint32_t kRecordCreating = 1;
inline constexpr uint32_t kRecordLive = 2;

struct MapRecord {
  uint32_t type, key_size, value_size, max_entries, flags;
  int32_t spin_lock_offset;
  uint64_t map_extra;
  uint32_t has_inner, inner_type, inner_key_size, inner_value_size, inner_max_entries, inner_flags;
  uint64_t inner_map_extra;
  // A map backed by a kernel map (kernel_id != 0; `object` is then ""): other processes reopen it from
  // its pin, else by id (see Runtime::add_map and KernelMapRef).
  uint32_t kernel_id;
  uint32_t kernel_holder;  // the pid whose fds keep an unpinned kernel map alive, else 0
  char kernel_name[16];    // the kernel's name for it (BPF_OBJ_NAME_LEN)
  char kernel_pin[192];    // its bpffs pin, "" if none
};

inline constexpr uint32_t kProgVerified = 1;  // ProgRecord::flags: verified at load

struct ProgRecord {
  uint32_t prog_type, insn_count, nr_maps, flags;
  uint64_t tag;
  char license[64];
  uint32_t ctx_size, reserved;  // the context size it was verified against
};

struct LinkRecord {
  uint32_t program, pad;
  uint64_t cookie;
  char attach_type[32];
  char target[256];
};

struct PerfRecord {
  uint32_t program;
  int32_t cpu;
  uint64_t config;
  char event_type[32];
  char target[256];
};

struct Record {
  std::atomic<uint32_t> state;
  uint32_t kind;
  std::atomic<uint32_t> generation;
  uint32_t owner_pid;
  uint64_t created_ns;
  uint64_t object_size;
  char name[64];
  char object[128];  // shared-memory object holding the map or the program, "" if none
  union {
    MapRecord map;
    ProgRecord prog;
    LinkRecord link;
    PerfRecord perf;
  };
};
// Kernel references fit in the union as it was: registries made before them keep their layout.
static_assert(sizeof(MapRecord) <= sizeof(LinkRecord));

class RegistryStore {
 public:
  // `name` "" makes a private table.
  [[nodiscard]] static Result<std::unique_ptr<RegistryStore>> open(const std::string& name, uint32_t capacity,
                                                                   bool create = true);
  static Status remove(const std::string& name);
  static Status check_registry_name(const std::string& name);
  static Result<std::unique_ptr<RegistryStore>> open_existing(const std::string& name);

  // Whether open() created the registry (its name did not exist).
  bool created() const { return created_; }
  // Removes the registry if no record is in use but reserved ones (names starting with '.', such as
  // the trace pipe: their objects go with it) and its name still refers to this table; returns whether
  // it did. Objects of dead creators are left to `remove` (their names cannot be told from a
  // concurrent creator's).
  Result<bool> remove_if_unused();

  class Lock {
   public:
    explicit Lock(RegistryStore& store);

   private:
    RobustLock lock_;
  };

  uint32_t capacity() const;
  // 1-based; nullptr outside the table.
  Record* record(uint32_t handle) const;
  // The live record of `kind` with this name, or 0.  REQUIRES: the lock.
  uint32_t find_name(ObjectKind kind, const std::string& name) const;
  // Claims a free record (preferring `preferred` if it is free) in state kCreating.  REQUIRES: the lock.
  Result<uint32_t> allocate(ObjectKind kind, const std::string& name, uint32_t preferred);
  // REQUIRES: the lock.
  void publish(uint32_t handle);
  void release(uint32_t handle);
  // A fresh shared-memory object name for an object of this registry ("" for a private registry).
  std::string object_name(const char* what, uint32_t handle);

  std::atomic<uint32_t>& trace_pipe_handle();
  std::atomic<uint64_t>& trace_lost();

 private:
  RegistryStore(std::unique_ptr<Arena> arena, std::string name, bool created = false)
      : arena_(std::move(arena)), name_(std::move(name)), created_(created) {}
  void reclaim_abandoned();

  std::unique_ptr<Arena> arena_;
  std::string name_;
  bool created_;
  friend class Lock;
};

// Removes the shared-memory object behind a record (map memory and FIFO, or program bytecode).
void unlink_record_object(const Record& r);
uint64_t realtime_ns();

}  // namespace bpfrt
