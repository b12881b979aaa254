#include "runtime/registry_store.hpp"

#include <cerrno>
#include <cstring>
#include <random>

#include <dirent.h>
#include <fmt/format.h>
#include <time.h>
#include <unistd.h>

namespace bpfrt {
namespace {

constexpr uint64_t kRegistryMagic = 0x5947455254524642ULL;  // "BFRTREGY"
constexpr uint32_t kRegistryVersion = 1;
constexpr size_t kHeaderBytes = 4096;
constexpr uint32_t kMaxCapacity = 1u << 20;

struct RegistryHeader {
  uint64_t magic;
  uint32_t version;
  uint32_t capacity;
  uint32_t record_size;
  uint32_t pad;
  uint64_t created_ns;
  std::atomic<uint64_t> nonce;
  std::atomic<uint32_t> trace_pipe;
  std::atomic<uint64_t> trace_lost;
  RobustMutex lock;
};
static_assert(sizeof(RegistryHeader) <= kHeaderBytes);

RegistryHeader* header(const Arena& arena) {
  return reinterpret_cast<RegistryHeader*>(arena.base());
}

size_t segment_size(uint32_t capacity) {
  return round_up(kHeaderBytes + sizeof(Record) * static_cast<size_t>(capacity), kPageSize);
}

Status validate(const Arena& arena, const std::string& name) {
  const RegistryHeader* h = header(arena);
  if (arena.size() < kHeaderBytes || h->magic != kRegistryMagic) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("/dev/shm/{} is not a bpfrt registry", name));
  }
  if (h->version != kRegistryVersion || h->record_size != sizeof(Record)) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("registry '{}' has layout version {}; this bpfrt uses {} (remove it with `bpfrt "
                                  "registry remove --registry {}`)",
                                  name, h->version, kRegistryVersion, name));
  }
  if (h->capacity == 0 || h->capacity > kMaxCapacity || arena.size() != segment_size(h->capacity)) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("registry '{}' has a corrupt header", name));
  }
  return {};
}

void initialize(Arena& arena, uint32_t capacity) {
  RegistryHeader* h = header(arena);
  h->version = kRegistryVersion;
  h->capacity = capacity;
  h->record_size = sizeof(Record);
  h->created_ns = realtime_ns();
  h->lock.init();
  h->magic = kRegistryMagic;  // last: marks the layout complete
}

}  // namespace

uint64_t realtime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

Status RegistryStore::check_registry_name(const std::string& name) {
  const bool ok = !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
  if (!ok) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("invalid registry name '{}' (1-64 characters of A-Z a-z 0-9 _ -)", name));
  }
  return {};
}

Result<std::unique_ptr<RegistryStore>> RegistryStore::open(const std::string& name, uint32_t capacity, bool create) {
  if (capacity == 0 || capacity > kMaxCapacity) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("registry capacity {} must be between 1 and {}", capacity, kMaxCapacity));
  }
  if (name.empty()) {
    auto arena = Arena::create_private(segment_size(capacity));
    if (!arena) {
      return arena.take_error();
    }
    initialize(**arena, capacity);
    return std::unique_ptr<RegistryStore>(new RegistryStore(std::move(*arena), ""));
  }
  BPFRT_TRY(check_registry_name(name));
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto existing = Arena::open_shared(name);
    if (existing) {
      BPFRT_TRY(validate(**existing, name));
      return std::unique_ptr<RegistryStore>(new RegistryStore(std::move(*existing), name));
    }
    if (existing.error().code != ErrorCode::kNotFound) {
      return existing.take_error();
    }
    if (!create) {
      return make_error(ErrorCode::kNotFound, fmt::format("there is no registry '{}'", name));
    }
    // Lay the registry out under a temporary name, then link it into place: whoever links first wins
    // and everybody else opens the winner's.
    std::random_device rd;
    const std::string tmp = fmt::format("{}.creating.{}.{:x}", name, getpid(), rd());
    auto fresh = Arena::create_shared(tmp, segment_size(capacity));
    if (!fresh) {
      return fresh.take_error();
    }
    initialize(**fresh, capacity);
    const int rc = ::link(("/dev/shm/" + tmp).c_str(), ("/dev/shm/" + name).c_str());
    const int err = errno;
    (void)Arena::unlink_shared(tmp);
    if (rc == 0) {
      return std::unique_ptr<RegistryStore>(new RegistryStore(std::move(*fresh), name, true));
    }
    if (err != EEXIST) {
      return make_error(ErrorCode::kIo,
                        fmt::format("cannot create registry /dev/shm/{}: {}", name, std::strerror(err)));
    }
  }
  return make_error(ErrorCode::kIo, fmt::format("registry '{}' keeps appearing and disappearing", name));
}

Result<std::unique_ptr<RegistryStore>> RegistryStore::open_existing(const std::string& name) {
  auto arena = Arena::open_shared(name);
  if (!arena) {
    return arena.take_error();
  }
  BPFRT_TRY(validate(**arena, name));
  return std::unique_ptr<RegistryStore>(new RegistryStore(std::move(*arena), name));
}

Status RegistryStore::remove(const std::string& name) {
  BPFRT_TRY(check_registry_name(name));
  bool found = false;
  if (auto store = open_existing(name); store) {
    found = true;
    RegistryStore& s = **store;
    Lock lock(s);
    for (uint32_t h = 1; h <= s.capacity(); ++h) {
      Record* r = s.record(h);
      if (r->state.load() != kRecordFree) {
        unlink_record_object(*r);
      }
    }
  }
  // Objects of this registry nothing refers to any more (a creator that died): by their names.
  if (DIR* dir = opendir("/dev/shm"); dir != nullptr) {
    const std::string prefix = name + ".";
    while (dirent* e = readdir(dir)) {
      const std::string entry = e->d_name;
      if (entry.starts_with(prefix)) {
        ::unlink(("/dev/shm/" + entry).c_str());
        found = true;
      }
    }
    closedir(dir);
  }
  if (::unlink(("/dev/shm/" + name).c_str()) == 0) {
    found = true;
  } else if (errno != ENOENT) {
    return make_error(ErrorCode::kIo, fmt::format("cannot remove /dev/shm/{}: {}", name, std::strerror(errno)));
  }
  if (!found) {
    return make_error(ErrorCode::kNotFound, fmt::format("there is no registry '{}'", name));
  }
  return {};
}

Result<bool> RegistryStore::remove_if_unused() {
  if (name_.empty()) {
    return false;
  }
  Lock lock(*this);
  for (uint32_t h = 1; h <= capacity(); ++h) {
    const Record* r = record(h);
    if (r->state.load() != kRecordFree && r->name[0] != '.') {
      return false;
    }
  }
  if (!arena_->is_shared_object(name_)) {
    return false;  // removed already, perhaps made again by someone else
  }
  for (uint32_t h = 1; h <= capacity(); ++h) {
    Record* r = record(h);
    if (r->state.load() != kRecordFree) {
      unlink_record_object(*r);
      release(h);
    }
  }
  header(*arena_)->trace_pipe.store(0);
  if (::unlink(("/dev/shm/" + name_).c_str()) != 0 && errno != ENOENT) {
    return make_error(ErrorCode::kIo, fmt::format("cannot remove /dev/shm/{}: {}", name_, std::strerror(errno)));
  }
  return true;
}

RegistryStore::Lock::Lock(RegistryStore& store) : lock_(header(*store.arena_)->lock) {
  if (lock_.recovered()) {
    // A process died holding the lock: nothing it was changing is visible except kCreating records.
    store.reclaim_abandoned();
    lock_.consistent();
  }
}

uint32_t RegistryStore::capacity() const {
  return header(*arena_)->capacity;
}

Record* RegistryStore::record(uint32_t handle) const {
  if (handle == 0 || handle > capacity()) {
    return nullptr;
  }
  return reinterpret_cast<Record*>(arena_->base() + kHeaderBytes) + (handle - 1);
}

uint32_t RegistryStore::find_name(ObjectKind kind, const std::string& name) const {
  for (uint32_t h = 1; h <= capacity(); ++h) {
    const Record* r = record(h);
    if (r->state.load(std::memory_order_relaxed) != kRecordFree && r->kind == static_cast<uint32_t>(kind) &&
        std::strncmp(r->name, name.c_str(), sizeof(r->name)) == 0) {
      return h;
    }
  }
  return 0;
}

void RegistryStore::reclaim_abandoned() {
  for (uint32_t h = 1; h <= capacity(); ++h) {
    Record* r = record(h);
    if (r->state.load() == kRecordCreating && !process_alive(r->owner_pid)) {
      unlink_record_object(*r);
      release(h);
    }
  }
}

Result<uint32_t> RegistryStore::allocate(ObjectKind kind, const std::string& name, uint32_t preferred) {
  if (find_name(kind, name) != 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("a {} named '{}' already exists", object_kind_name(kind), name));
  }
  uint32_t handle = 0;
  Record* pr = record(preferred);
  if (pr != nullptr && pr->state.load() == kRecordFree) {
    handle = preferred;
  }
  for (int pass = 0; pass < 2 && handle == 0; ++pass) {
    for (uint32_t h = 1; h <= capacity(); ++h) {
      if (record(h)->state.load() == kRecordFree) {
        handle = h;
        break;
      }
    }
    if (handle == 0 && pass == 0) {
      reclaim_abandoned();
    }
  }
  if (handle == 0) {
    return make_error(ErrorCode::kResourceExhausted,
                      fmt::format("registry '{}' is full ({} objects); remove objects or recreate it with a larger "
                                  "capacity",
                                  name_.empty() ? "(private)" : name_, capacity()));
  }
  Record* r = record(handle);
  const uint32_t generation = r->generation.load() + 1;
  std::memset(static_cast<void*>(r), 0, sizeof(Record));
  r->generation.store(generation);
  r->kind = static_cast<uint32_t>(kind);
  r->owner_pid = current_pid();
  r->created_ns = realtime_ns();
  std::strncpy(r->name, name.c_str(), sizeof(r->name) - 1);
  r->state.store(kRecordCreating, std::memory_order_release);
  return handle;
}

void RegistryStore::publish(uint32_t handle) {
  record(handle)->state.store(kRecordLive, std::memory_order_release);
}

void RegistryStore::release(uint32_t handle) {
  Record* r = record(handle);
  r->generation.fetch_add(1);
  r->state.store(kRecordFree, std::memory_order_release);
}

std::string RegistryStore::object_name(const char* what, uint32_t handle) {
  if (name_.empty()) {
    return "";
  }
  return fmt::format("{}.{}{}.{}", name_, what, handle, header(*arena_)->nonce.fetch_add(1) + 1);
}

std::atomic<uint32_t>& RegistryStore::trace_pipe_handle() {
  return header(*arena_)->trace_pipe;
}

std::atomic<uint64_t>& RegistryStore::trace_lost() {
  return header(*arena_)->trace_lost;
}

void unlink_record_object(const Record& r) {
  if (r.kind == static_cast<uint32_t>(ObjectKind::kMap) && r.map.kernel_id != 0) {
    // The pin is the registry's hold on the kernel map: removing the record releases it.
    const std::string pin(r.map.kernel_pin, strnlen(r.map.kernel_pin, sizeof(r.map.kernel_pin)));
    if (!pin.empty()) {
      ::unlink(pin.c_str());
    }
    return;
  }
  const std::string object(r.object, strnlen(r.object, sizeof(r.object)));
  if (object.empty()) {
    return;
  }
  if (r.kind == static_cast<uint32_t>(ObjectKind::kMap)) {
    (void)unlink_map_storage(object);
  } else {
    (void)Arena::unlink_shared(object);
  }
}

}  // namespace bpfrt
