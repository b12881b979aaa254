// The Map base: program handles, regions, default (unsupported) operations, batches, and the factory
// that creates and opens maps over the type table.
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <random>
#include <vector>

#include <fmt/format.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include "maps/map_base.hpp"
#include "maps/notifier.hpp"
#include "maps/robust_mutex.hpp"

namespace bpfrt {
namespace {

constexpr uint32_t kFlagRdonly = 1u << 3, kFlagWronly = 1u << 4;

// Program handles: the address of a slot holding the map. Helpers validate a handle by range and
// alignment before loading it, so a garbage map argument is refused rather than dereferenced.
constexpr size_t kMaxOpenMaps = 1 << 16;
std::atomic<Map*> g_map_slots[kMaxOpenMaps];
std::mutex g_slot_mutex;
std::vector<uint32_t> g_free_slots;
uint32_t g_next_slot = 1;  // slot 0 stays empty so a zero handle is never valid

uint32_t acquire_slot(Map* map) {
  std::lock_guard<std::mutex> lock(g_slot_mutex);
  uint32_t slot = 0;
  if (!g_free_slots.empty()) {
    slot = g_free_slots.back();
    g_free_slots.pop_back();
  } else if (g_next_slot < kMaxOpenMaps) {
    slot = g_next_slot++;
  }
  if (slot != 0) {
    g_map_slots[slot].store(map, std::memory_order_release);
  }
  return slot;
}

void release_slot(uint32_t slot) {
  if (slot == 0) {
    return;
  }
  std::lock_guard<std::mutex> lock(g_slot_mutex);
  g_map_slots[slot].store(nullptr, std::memory_order_release);
  g_free_slots.push_back(slot);
}

const std::array<const MapTypeOps*, 16> kTypes = {
    &kHashMapOps,          &kArrayMapOps,       &kProgArrayMapOps, &kPerfEventArrayOps,
    &kPercpuHashMapOps,    &kPercpuArrayMapOps, &kStackTraceOps,   &kLruHashMapOps,
    &kLruPercpuHashMapOps, &kLpmTrieOps,        &kArrayOfMapsOps,  &kHashOfMapsOps,
    &kQueueMapOps,         &kStackMapOps,       &kRingbufOps,      &kBloomFilterOps,
};

const std::array<MapType, 16> kSupported = {
    MapType::kHash,          MapType::kArray,       MapType::kProgArray,   MapType::kPerfEventArray,
    MapType::kPercpuHash,    MapType::kPercpuArray, MapType::kStackTrace,  MapType::kLruHash,
    MapType::kLruPercpuHash, MapType::kLpmTrie,     MapType::kArrayOfMaps, MapType::kHashOfMaps,
    MapType::kQueue,         MapType::kStack,       MapType::kRingbuf,     MapType::kBloomFilter,
};

uint64_t random_seed() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

void write_header(uint8_t* base, const MapSpec& spec, uint32_t ncpus, uint64_t memory_size) {
  MapHeader* h = map_header(base);
  h->magic = kMapMagic;
  h->layout_version = kMapLayoutVersion;
  h->type = static_cast<uint32_t>(spec.type);
  h->key_size = spec.key_size;
  h->value_size = spec.value_size;
  h->max_entries = spec.max_entries;
  h->flags = spec.flags;
  h->map_extra = spec.map_extra;
  h->spin_lock_offset = spec.spin_lock_offset;
  h->ncpus = ncpus;
  h->memory_size = memory_size;
  h->seed = (spec.flags & (1u << 6)) != 0 ? 0 : random_seed();  // BPF_F_ZERO_SEED
  if (spec.inner) {
    h->has_inner = 1;
    h->inner_type = static_cast<uint32_t>(spec.inner->type);
    h->inner_key_size = spec.inner->key_size;
    h->inner_value_size = spec.inner->value_size;
    h->inner_max_entries = spec.inner->max_entries;
    h->inner_flags = spec.inner->flags;
    h->inner_map_extra = spec.inner->map_extra;
  }
  std::strncpy(h->name, spec.name.c_str(), sizeof(h->name) - 1);
}

MapSpec spec_from_header(const MapHeader& h) {
  MapSpec spec;
  spec.type = static_cast<MapType>(h.type);
  spec.key_size = h.key_size;
  spec.value_size = h.value_size;
  spec.max_entries = h.max_entries;
  spec.flags = h.flags;
  spec.map_extra = h.map_extra;
  spec.spin_lock_offset = h.spin_lock_offset;
  spec.name = std::string(h.name, strnlen(h.name, sizeof(h.name)));
  if (h.has_inner != 0) {
    auto inner = std::make_shared<MapSpec>();
    inner->type = static_cast<MapType>(h.inner_type);
    inner->key_size = h.inner_key_size;
    inner->value_size = h.inner_value_size;
    inner->max_entries = h.inner_max_entries;
    inner->flags = h.inner_flags;
    inner->map_extra = h.inner_map_extra;
    spec.inner = std::move(inner);
  }
  return spec;
}

// Batches in key order of get_next_key: the cursor is the index of the next element in that order
// when the type has no better one; types override for stable cursors.
int generic_batch(Map& map, uint64_t* cursor, void* keys, void* values, uint32_t count, bool* done, bool erase) {
  if (cursor == nullptr || done == nullptr || (count > 0 && (keys == nullptr || values == nullptr))) {
    return -EINVAL;
  }
  const size_t ks = map.key_size();
  const size_t vs = map.user_value_size();
  std::vector<uint8_t> key(ks), next(ks);
  *done = false;
  // Walk to the cursor position (elements deleted by this batch are gone, so erase mode restarts).
  uint64_t skip = erase ? 0 : *cursor;
  bool have = false;
  int copied = 0;
  while (true) {
    const int rc = map.get_next_key(have ? key.data() : nullptr, next.data());
    if (rc == -ENOENT) {
      *done = true;
      break;
    }
    if (rc != 0) {
      return rc;
    }
    key = next;
    have = true;
    if (skip > 0) {
      --skip;
      continue;
    }
    if (static_cast<uint32_t>(copied) == count) {
      break;
    }
    auto* kout = static_cast<uint8_t*>(keys) + copied * ks;
    auto* vout = static_cast<uint8_t*>(values) + copied * vs;
    const int lr = erase ? map.lookup_and_delete(key.data(), vout, 0) : map.lookup(key.data(), vout, 0);
    if (lr == -ENOENT) {
      continue;  // deleted meanwhile
    }
    if (lr != 0) {
      return lr;
    }
    std::memcpy(kout, key.data(), ks);
    ++copied;
    if (erase) {
      have = false;  // restart from the first remaining key
    }
  }
  if (!erase) {
    *cursor += static_cast<uint64_t>(copied);
  }
  return copied;
}

}  // namespace

const MapTypeOps* find_map_type(MapType type) {
  for (const MapTypeOps* ops : kTypes) {
    if (ops->type == type) {
      return ops;
    }
  }
  return nullptr;
}

std::span<const MapType> supported_map_types() {
  return kSupported;
}

const char* map_type_name(MapType type) {
  const MapTypeOps* ops = find_map_type(type);
  return ops != nullptr ? ops->name : "unknown";
}

Result<MapType> parse_map_type(std::string_view name) {
  std::string n(name);
  for (char& c : n) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (n.starts_with("bpf_map_type_")) {
    n = n.substr(13);
  }
  for (const MapTypeOps* ops : kTypes) {
    if (n == ops->name) {
      return ops->type;
    }
  }
  std::string known;
  for (const MapTypeOps* ops : kTypes) {
    known += known.empty() ? "" : ", ";
    known += ops->name;
  }
  return make_error(ErrorCode::kInvalidArgument, fmt::format("unknown map type '{}' (known: {})", name, known));
}

uint32_t possible_cpus() {
  static const uint32_t n = [] {
    // "0-3" or "0,2-5": the count is the highest CPU number plus one, as libbpf counts.
    std::ifstream in("/sys/devices/system/cpu/possible");
    std::string text;
    uint32_t highest = 0;
    bool any = false;
    if (in && std::getline(in, text)) {
      uint32_t cur = 0;
      bool in_num = false;
      for (char c : text) {
        if (c >= '0' && c <= '9') {
          cur = cur * 10 + static_cast<uint32_t>(c - '0');
          in_num = true;
        } else {
          if (in_num) {
            highest = std::max(highest, cur);
            any = true;
          }
          cur = 0;
          in_num = false;
        }
      }
      if (in_num) {
        highest = std::max(highest, cur);
        any = true;
      }
    }
    if (!any) {
      const long conf = sysconf(_SC_NPROCESSORS_CONF);
      return static_cast<uint32_t>(conf > 0 ? conf : 1);
    }
    return highest + 1;
  }();
  return n;
}

uint32_t current_cpu() {
  const int cpu = sched_getcpu();
  const uint32_t n = possible_cpus();
  return cpu < 0 ? 0 : static_cast<uint32_t>(cpu) % n;
}

bool flags_access_ok(uint32_t flags) {
  constexpr uint32_t kRdonly = 1u << 3, kWronly = 1u << 4, kRdonlyProg = 1u << 7, kWronlyProg = 1u << 8;
  return !((flags & kRdonly) && (flags & kWronly)) && !((flags & kRdonlyProg) && (flags & kWronlyProg));
}

// ---- Map ----

Map::Map(MapSpec spec, std::unique_ptr<Arena> arena, MapHost* host)
    : spec_(std::move(spec)), ncpus_(map_header(arena->base())->ncpus), host_(host), arena_(std::move(arena)) {
  slot_ = acquire_slot(this);
}

Map::~Map() {
  release_slot(slot_);
}

bool Map::is_percpu() const {
  return spec_.type == MapType::kPercpuHash || spec_.type == MapType::kPercpuArray ||
         spec_.type == MapType::kLruPercpuHash;
}

size_t Map::user_value_size() const {
  return is_percpu() ? static_cast<size_t>(ncpus_) * round8(spec_.value_size) : spec_.value_size;
}

const std::string& Map::shm_name() const {
  return arena_->name();
}

size_t Map::memory_size() const {
  return arena_->size();
}

void Map::add_region(const void* start, size_t size, bool writable) {
  if (size > 0) {
    regions_.push_back(MemoryRegion{reinterpret_cast<uint64_t>(start), size, writable});
  }
}

uint64_t Map::program_handle() const {
  return slot_ == 0 ? 0 : reinterpret_cast<uint64_t>(&g_map_slots[slot_]);
}

Map* Map::from_program_handle(uint64_t handle) {
  const uint64_t off = handle - reinterpret_cast<uint64_t>(&g_map_slots[0]);
  if (off >= sizeof(g_map_slots) || off % sizeof(g_map_slots[0]) != 0) {
    return nullptr;
  }
  return g_map_slots[off / sizeof(g_map_slots[0])].load(std::memory_order_acquire);
}

// The checks bpf() makes before a map type sees the operation (kernel/bpf/syscall.c).

int Map::lookup(const void* key, void* value, uint64_t flags) {
  if ((flags & ~kBpfFLock) != 0) {
    return -EINVAL;
  }
  if ((spec_.flags & kFlagWronly) != 0) {
    return -EPERM;
  }
  if ((flags & kBpfFLock) != 0 && spec_.spin_lock_offset < 0) {
    return -EINVAL;
  }
  return do_lookup(key, value, flags);
}

bool Map::frozen() const {
  return map_header(arena_->base())->frozen.load(std::memory_order_acquire) != 0;
}

int Map::freeze() {
  uint32_t expected = 0;
  return map_header(arena_->base())->frozen.compare_exchange_strong(expected, 1) ? 0 : -EBUSY;
}

int Map::update(const void* key, const void* value, uint64_t flags) {
  if ((spec_.flags & kFlagRdonly) != 0 || frozen()) {
    return -EPERM;
  }
  if ((flags & kBpfFLock) != 0 && spec_.spin_lock_offset < 0) {
    return -EINVAL;
  }
  return do_update(key, value, flags);
}

int Map::erase(const void* key) {
  if ((spec_.flags & kFlagRdonly) != 0 || frozen()) {
    return -EPERM;
  }
  return do_erase(key);
}

int Map::lookup_and_delete(const void* key, void* value, uint64_t flags) {
  if ((flags & ~kBpfFLock) != 0) {
    return -EINVAL;
  }
  if ((spec_.flags & (kFlagRdonly | kFlagWronly)) != 0 || frozen()) {
    return -EPERM;
  }
  if (flags != 0 && (spec_.type == MapType::kQueue || spec_.type == MapType::kStack)) {
    return -EINVAL;
  }
  if ((flags & kBpfFLock) != 0 && spec_.spin_lock_offset < 0) {
    return -EINVAL;
  }
  return do_lookup_and_delete(key, value, flags);
}

int Map::get_next_key(const void* key, void* next_key) {
  if ((spec_.flags & kFlagWronly) != 0) {
    return -EPERM;
  }
  return do_get_next_key(key, next_key);
}

int Map::do_lookup(const void*, void*, uint64_t) {
  return -kENOTSUPP;
}
int Map::do_update(const void*, const void*, uint64_t) {
  return -kENOTSUPP;
}
int Map::do_erase(const void*) {
  return -kENOTSUPP;
}
int Map::do_lookup_and_delete(const void*, void*, uint64_t) {
  return -kENOTSUPP;
}
int Map::do_get_next_key(const void*, void*) {
  return -kENOTSUPP;
}
int Map::lookup_batch(uint64_t* cursor, void* keys, void* values, uint32_t count, bool* done) {
  return generic_batch(*this, cursor, keys, values, count, done, false);
}
int Map::lookup_and_delete_batch(uint64_t* cursor, void* keys, void* values, uint32_t count, bool* done) {
  return generic_batch(*this, cursor, keys, values, count, done, true);
}

int Map::update_batch(const void* keys, const void* values, uint32_t count, uint64_t flags, int* error) {
  *error = 0;
  for (uint32_t i = 0; i < count; ++i) {
    const int rc = update(static_cast<const uint8_t*>(keys) + static_cast<size_t>(i) * key_size(),
                          static_cast<const uint8_t*>(values) + i * user_value_size(), flags);
    if (rc != 0) {
      *error = rc;
      return static_cast<int>(i);
    }
  }
  return static_cast<int>(count);
}

int Map::delete_batch(const void* keys, uint32_t count, int* error) {
  *error = 0;
  for (uint32_t i = 0; i < count; ++i) {
    const int rc = erase(static_cast<const uint8_t*>(keys) + static_cast<size_t>(i) * key_size());
    if (rc != 0) {
      *error = rc;
      return static_cast<int>(i);
    }
  }
  return static_cast<int>(count);
}

void* Map::prog_lookup(const void*) {
  return nullptr;
}

MapLookupShortcut Map::lookup_shortcut() {
  MapLookupShortcut s;
  if (copies_values()) {
    return s;  // lookups need the run's holdings (prog_lookup_copy): only the helper has them
  }
  s.kind = MapLookupShortcut::Kind::kCall;
  s.key_size = spec_.key_size;
  s.lookup = [](void* map, const void* key) { return static_cast<Map*>(map)->prog_lookup(key); };
  s.map = this;
  return s;
}
long Map::prog_update(const void*, const void*, uint64_t) {
  return -kENOTSUPP;
}
long Map::prog_delete(const void*) {
  return -kENOTSUPP;
}
long Map::push(const void*, uint64_t) {
  return -kENOTSUPP;
}
long Map::pop(void*) {
  return -kENOTSUPP;
}
long Map::peek(void*) {
  return -kENOTSUPP;
}
long Map::for_each(const std::function<long(const MapElement&)>&) {
  return -EINVAL;
}
void* Map::prog_lookup_copy(const void* key, const void*) {
  return prog_lookup(key);
}
void Map::prog_run_end(const void*) {}
long Map::perf_output(uint64_t, const void*, uint64_t) {
  return -EINVAL;
}

std::vector<std::vector<uint8_t>> Map::export_items() const {
  return {};
}

int Map::import_items(const std::vector<std::vector<uint8_t>>& items) {
  return items.empty() ? 0 : -EINVAL;
}

uint32_t Map::handle_at(uint32_t) const {
  return 0;
}

Result<uint64_t> Map::direct_value_address(uint32_t) {
  return make_error(ErrorCode::kUnsupported,
                    fmt::format("map '{}' ({}) has no direct value access (only single-element arrays do)", spec_.name,
                                map_type_name(spec_.type)));
}

// ---- factory ----

Result<std::shared_ptr<Map>> create_map(const MapSpec& spec, const MapStorage& storage, MapHost* host) {
  std::string why;
  const int rc = check_map_spec(spec, &why);
  if (rc != 0) {
    return make_error(rc == -E2BIG ? ErrorCode::kResourceExhausted : ErrorCode::kInvalidArgument,
                      fmt::format("map '{}': {} ({})", spec.name, why, std::strerror(-rc == 524 ? EOPNOTSUPP : -rc)));
  }
  const MapTypeOps* ops = find_map_type(spec.type);
  const uint32_t ncpus = possible_cpus();
  const uint64_t size = ops->memory_size(spec, ncpus);
  auto arena = storage.shm_name.empty() ? Arena::create_private(size) : Arena::create_shared(storage.shm_name, size);
  if (!arena) {
    Error e = arena.take_error();
    e.message = fmt::format("map '{}': {}", spec.name, e.message);
    return e;
  }
  uint8_t* base = (*arena)->base();
  write_header(base, spec, ncpus, size);
  ops->initialize(base, spec, ncpus);
  map_header(base)->ready.store(1, std::memory_order_release);
  MapSpec normalized = spec_from_header(*map_header(base));
  normalized.name = spec.name;
  auto map = ops->attach(std::move(normalized), std::move(*arena), host);
  if (!map) {
    if (!storage.shm_name.empty()) {
      (void)Arena::unlink_shared(storage.shm_name);
    }
    return map.take_error();
  }
  return std::shared_ptr<Map>(std::move(*map));
}

Result<std::shared_ptr<Map>> open_map(const std::string& shm_name, MapHost* host) {
  auto arena = Arena::open_shared(shm_name);
  if (!arena) {
    return arena.take_error();
  }
  uint8_t* base = (*arena)->base();
  const MapHeader* h = map_header(base);
  auto bad = [&](const std::string& why) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("shared-memory object '{}' {}", shm_name, why));
  };
  if ((*arena)->size() < kHeaderSize || h->magic != kMapMagic) {
    return bad("is not a bpfrt map");
  }
  if (h->layout_version != kMapLayoutVersion) {
    return bad(fmt::format("has map layout version {}, this bpfrt reads {}", h->layout_version, kMapLayoutVersion));
  }
  if (h->ready.load(std::memory_order_acquire) != 1) {
    return bad("is a map still being created (or whose creator died)");
  }
  MapSpec spec = spec_from_header(*h);
  const MapTypeOps* ops = find_map_type(spec.type);
  if (ops == nullptr) {
    return bad(fmt::format("holds a map of unknown type {}", h->type));
  }
  if (h->ncpus != possible_cpus()) {
    return bad(fmt::format("was laid out for {} CPUs, this machine has {}", h->ncpus, possible_cpus()));
  }
  if (ops->check(spec, nullptr) != 0 || ops->memory_size(spec, h->ncpus) != h->memory_size ||
      h->memory_size != (*arena)->size()) {
    return bad("has a corrupt map header");
  }
  auto map = ops->attach(std::move(spec), std::move(*arena), host);
  if (!map) {
    return map.take_error();
  }
  return std::shared_ptr<Map>(std::move(*map));
}

Status unlink_map_storage(const std::string& shm_name) {
  BPFRT_TRY(Arena::unlink_shared(shm_name));
  remove_notifier_fifo(shm_name);
  return {};
}

}  // namespace bpfrt
