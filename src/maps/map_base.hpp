// What every map type shares: the header at the start of a map's memory, the table of map types
// (spec check, memory size, layout, construction), and small helpers the types use.
//
// Memory layout of every map: MapHeader (kHeaderSize bytes) followed by the type's own structures, all
// addressed by offsets so that every process may map the memory at a different address. A creator lays
// the memory out and sets `ready` last; openers check the header against the type's computed size.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "bpfrt/maps.hpp"

#include "maps/arena.hpp"

namespace bpfrt {

inline constexpr uint64_t kMapMagic = 0x50414d5452465042ULL;  // "BPFRTMAP"
inline constexpr uint32_t kMapLayoutVersion = 1;
inline constexpr size_t kHeaderSize = 512;
inline constexpr uint64_t kMaxMapMemory = uint64_t{1} << 40;

// Kernel limits the spec checks use.
inline constexpr uint32_t kMaxBpfStack = 512;
inline constexpr uint64_t kKmallocMaxSize = uint64_t{4} << 20;
inline constexpr uint32_t kPcpuMinUnitSize = 32768;
inline constexpr uint32_t kMaxStackDepth = 127;  // sysctl kernel.perf_event_max_stack

struct MapHeader {
  uint64_t magic;
  uint32_t layout_version;
  uint32_t type;
  uint32_t key_size;
  uint32_t value_size;
  uint32_t max_entries;
  uint32_t flags;
  uint64_t map_extra;
  int32_t spin_lock_offset;
  uint32_t ncpus;
  uint64_t memory_size;
  uint64_t seed;
  uint32_t has_inner;
  uint32_t inner_type;
  uint32_t inner_key_size;
  uint32_t inner_value_size;
  uint32_t inner_max_entries;
  uint32_t inner_flags;
  uint64_t inner_map_extra;
  char name[64];
  std::atomic<uint32_t> ready;
  std::atomic<uint32_t> owner_prog_type;  // prog arrays: type of the programs it holds, +1 (0: none yet)
  std::atomic<uint64_t> reclaim_ns;       // last leak reclamation (hash maps), CLOCK_MONOTONIC
  std::atomic<uint32_t> clock_hand;       // LRU eviction sweep position
  std::atomic<uint32_t> frozen;           // BPF_MAP_FREEZE: no more writes through the userspace API
};
static_assert(sizeof(MapHeader) <= kHeaderSize);

struct MapTypeOps {
  MapType type;
  const char* name;
  // Type-specific spec checks (after the generic ones): 0 or -errno, with the reason.
  int (*check)(const MapSpec& spec, std::string* why);
  // Total bytes of memory (header included) the map needs; 0 if that is too large.
  uint64_t (*memory_size)(const MapSpec& spec, uint32_t ncpus);
  // Lays out zeroed memory past the header.
  void (*initialize)(uint8_t* base, const MapSpec& spec, uint32_t ncpus);
  // Builds the process-local map over laid-out memory.
  Result<std::unique_ptr<Map>> (*attach)(MapSpec spec, std::unique_ptr<Arena> arena, MapHost* host);
};

const MapTypeOps* find_map_type(MapType type);

// The map types, each defined in its own unit.
extern const MapTypeOps kHashMapOps;
extern const MapTypeOps kPercpuHashMapOps;
extern const MapTypeOps kLruHashMapOps;
extern const MapTypeOps kLruPercpuHashMapOps;
extern const MapTypeOps kHashOfMapsOps;
extern const MapTypeOps kArrayMapOps;
extern const MapTypeOps kPercpuArrayMapOps;
extern const MapTypeOps kProgArrayMapOps;
extern const MapTypeOps kArrayOfMapsOps;
extern const MapTypeOps kPerfEventArrayOps;
extern const MapTypeOps kQueueMapOps;
extern const MapTypeOps kStackMapOps;
extern const MapTypeOps kBloomFilterOps;
extern const MapTypeOps kLpmTrieOps;
extern const MapTypeOps kRingbufOps;
extern const MapTypeOps kStackTraceOps;

inline MapHeader* map_header(uint8_t* base) {
  return reinterpret_cast<MapHeader*>(base);
}

template <class T>
T* at(uint8_t* base, uint64_t offset) {
  return reinterpret_cast<T*>(base + offset);
}

inline uint32_t round8(uint32_t n) {
  return (n + 7u) & ~7u;
}
inline uint64_t roundup_pow2(uint64_t n) {
  uint64_t p = 1;
  while (p < n) {
    p <<= 1;
  }
  return p;
}

// Access flags (BPF_F_RDONLY & co.) and their checks.
bool flags_access_ok(uint32_t flags);
inline constexpr uint32_t kAccessMask = (1u << 3) | (1u << 4) | (1u << 7) | (1u << 8);

// Checks the inner-map template of a map-in-map spec and a candidate inner map against it.
int check_inner_template(const MapSpec& spec, std::string* why);
bool inner_map_compatible(const MapSpec& inner_template, const MapSpec& candidate);

// bpf_spin_lock on a 4-byte word in map memory: holds the owner's thread id. A lock whose owner died
// is taken over; a wait longer than a second fails rather than hangs.
enum class SpinLockResult { kLocked, kSelfDeadlock, kTimeout };
SpinLockResult spin_lock(uint32_t* word);
void spin_unlock(uint32_t* word);

}  // namespace bpfrt
