// Runtime: maps and programs of a registry, opened and cached in this process; engines for programs;
// the helper host.
#include "bpfrt/runtime.hpp"

#include <cstdlib>
#include <cstring>

#include <fmt/format.h>
#include <sys/prctl.h>
#include <time.h>

#include "bpfrt/test_run.hpp"

#include "runtime/program_tag.hpp"
#include "runtime/registry_store.hpp"

namespace bpfrt {
namespace {

constexpr uint32_t kTracePipeBytes = 1 << 20;
constexpr const char* kTracePipeName = ".trace_pipe";

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Status check_object_name(ObjectKind kind, const std::string& name) {
  const bool chars = std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-';
  });
  if (name.empty() || name.size() > 63 || !chars || name[0] == '.' || all_digits(name)) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("invalid {} name '{}' (1-63 characters of A-Z a-z 0-9 _ . -, not starting with "
                                  "'.', not all digits)",
                                  object_kind_name(kind), name));
  }
  return {};
}

std::string record_name(const Record& r) {
  return std::string(r.name, strnlen(r.name, sizeof(r.name)));
}
std::string record_object(const Record& r) {
  return std::string(r.object, strnlen(r.object, sizeof(r.object)));
}

void fill_info(ObjectInfo& info, uint32_t handle, const Record& r) {
  info.handle = handle;
  info.name = record_name(r);
  info.owner_pid = r.owner_pid;
  info.created_ns = r.created_ns;
}

MapSpec spec_from_record(const Record& r) {
  const MapRecord& m = r.map;
  MapSpec s;
  s.type = static_cast<MapType>(m.type);
  s.key_size = m.key_size;
  s.value_size = m.value_size;
  s.max_entries = m.max_entries;
  s.flags = m.flags;
  s.map_extra = m.map_extra;
  s.spin_lock_offset = m.spin_lock_offset;
  s.name = record_name(r);
  if (m.has_inner != 0) {
    auto inner = std::make_shared<MapSpec>();
    inner->type = static_cast<MapType>(m.inner_type);
    inner->key_size = m.inner_key_size;
    inner->value_size = m.inner_value_size;
    inner->max_entries = m.inner_max_entries;
    inner->flags = m.inner_flags;
    inner->map_extra = m.inner_map_extra;
    s.inner = std::move(inner);
  }
  return s;
}

void spec_to_record(const MapSpec& s, MapRecord& m) {
  m.type = static_cast<uint32_t>(s.type);
  m.key_size = s.key_size;
  m.value_size = s.value_size;
  m.max_entries = s.max_entries;
  m.flags = s.flags;
  m.map_extra = s.map_extra;
  m.spin_lock_offset = s.spin_lock_offset;
  if (s.inner) {
    m.has_inner = 1;
    m.inner_type = static_cast<uint32_t>(s.inner->type);
    m.inner_key_size = s.inner->key_size;
    m.inner_value_size = s.inner->value_size;
    m.inner_max_entries = s.inner->max_entries;
    m.inner_flags = s.inner->flags;
    m.inner_map_extra = s.inner->map_extra;
  }
}

std::string fixed_text(const char* p, size_t n) {
  return std::string(p, strnlen(p, n));
}

KernelMapRef kernel_ref_from_record(const Record& r) {
  KernelMapRef ref;
  ref.id = r.map.kernel_id;
  ref.holder_pid = r.map.kernel_holder;
  ref.kernel_name = fixed_text(r.map.kernel_name, sizeof(r.map.kernel_name));
  ref.pin_path = fixed_text(r.map.kernel_pin, sizeof(r.map.kernel_pin));
  return ref;
}

std::atomic<KernelMapOpener> g_kernel_map_opener{nullptr};

}  // namespace

void set_kernel_map_opener(KernelMapOpener opener) {
  g_kernel_map_opener.store(opener);
}

KernelMapOpener kernel_map_opener() {
  return g_kernel_map_opener.load();
}

const char* object_kind_name(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::kMap:
      return "map";
    case ObjectKind::kProgram:
      return "program";
    case ObjectKind::kLink:
      return "link";
    case ObjectKind::kPerfEvent:
      return "perf event";
  }
  return "object";
}

std::string RegistryOptions::default_registry_name() {
  const char* env = std::getenv("BPFRT_REGISTRY");
  return env != nullptr && *env != '\0' ? env : "bpfrt";
}

Runtime::Runtime(std::string name, std::unique_ptr<RegistryStore> store)
    : name_(std::move(name)), store_(std::move(store)), regions_(new MemoryRegion[kMaxRegions]) {}

Runtime::~Runtime() = default;

Result<std::unique_ptr<Runtime>> Runtime::open(const RegistryOptions& options) {
  auto store = RegistryStore::open(options.name, options.capacity, options.create);
  if (!store) {
    return store.take_error();
  }
  std::unique_ptr<Runtime> rt(new Runtime(options.name, std::move(*store)));
  BPFRT_TRY(add_standard_helpers(rt->helpers_, *rt));
  // Programs from objects whose CO-RE relocations failed call it (reaching one fails the run).
  BPFRT_TRY(add_core_poison_helper(rt->helpers_));
  return rt;
}

Status Runtime::remove_registry(const std::string& name) {
  return RegistryStore::remove(name);
}

bool Runtime::created_registry() const {
  return store_->created();
}

Result<bool> Runtime::remove_registry_if_unused() {
  return store_->remove_if_unused();
}

uint32_t Runtime::capacity() const {
  return store_->capacity();
}

Result<uint32_t> Runtime::find(ObjectKind kind, std::string_view name_or_handle) {
  const std::string key(name_or_handle);
  if (all_digits(key) && key.size() < 10) {
    const auto handle = static_cast<uint32_t>(std::stoul(key));
    const Record* r = store_->record(handle);
    if (r != nullptr && r->state.load() == kRecordLive && r->kind == static_cast<uint32_t>(kind)) {
      return handle;
    }
    return make_error(ErrorCode::kNotFound, fmt::format("there is no {} with handle {} in registry '{}'",
                                                        object_kind_name(kind), handle, name_));
  }
  RegistryStore::Lock lock(*store_);
  const uint32_t handle = store_->find_name(kind, key);
  if (handle == 0 || store_->record(handle)->state.load() != kRecordLive) {
    return make_error(ErrorCode::kNotFound,
                      fmt::format("there is no {} named '{}' in registry '{}'", object_kind_name(kind), key, name_));
  }
  return handle;
}

// ---- maps ----

Result<uint32_t> Runtime::create_map(const MapSpec& spec, uint32_t inner_map) {
  BPFRT_TRY(check_object_name(ObjectKind::kMap, spec.name));
  MapSpec s = spec;
  if (inner_map != 0) {
    auto inner = map_info(inner_map);
    if (!inner) {
      return inner.take_error();
    }
    auto tmpl = std::make_shared<MapSpec>(inner->spec);
    tmpl->inner.reset();
    tmpl->name.clear();
    s.inner = std::move(tmpl);
  }
  return create_map_at(s, 0);
}

Result<uint32_t> Runtime::create_map_at(const MapSpec& spec, uint32_t preferred) {
  std::string why;
  if (const int rc = check_map_spec(spec, &why); rc != 0) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("map '{}': {}", spec.name, why));
  }
  uint32_t handle = 0;
  std::string object;
  {
    RegistryStore::Lock lock(*store_);
    auto h = store_->allocate(ObjectKind::kMap, spec.name, preferred);
    if (!h) {
      return h.take_error();
    }
    handle = *h;
    Record* r = store_->record(handle);
    spec_to_record(spec, r->map);
    object = store_->object_name("map", handle);
    std::strncpy(r->object, object.c_str(), sizeof(r->object) - 1);
  }
  // The map's memory is made outside the registry lock: other loaders need not wait for it.
  auto map = bpfrt::create_map(spec, MapStorage{object}, this);
  RegistryStore::Lock lock(*store_);
  if (!map) {
    store_->release(handle);
    return map.take_error();
  }
  Record* r = store_->record(handle);
  r->object_size = (*map)->memory_size();
  const uint32_t generation = r->generation.load();
  store_->publish(handle);
  std::lock_guard<std::mutex> guard(mutex_);
  maps_[handle] = OpenMap{generation, *map};
  register_regions(**map);
  return handle;
}

Result<uint32_t> Runtime::add_map(std::shared_ptr<Map> map, const KernelMapRef& kernel) {
  const MapSpec& spec = map->spec();
  BPFRT_TRY(check_object_name(ObjectKind::kMap, spec.name));
  if (kernel.id != 0 && (kernel.kernel_name.size() >= sizeof(MapRecord::kernel_name) ||
                         kernel.pin_path.size() >= sizeof(MapRecord::kernel_pin))) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("map '{}': kernel map name '{}' or pin path '{}' is too long for a registry record "
                                  "(15 and 191 characters at most)",
                                  spec.name, kernel.kernel_name, kernel.pin_path));
  }
  RegistryStore::Lock lock(*store_);
  auto h = store_->allocate(ObjectKind::kMap, spec.name, 0);
  if (!h) {
    return h.take_error();
  }
  Record* r = store_->record(*h);
  spec_to_record(spec, r->map);
  if (kernel.id != 0) {
    r->map.kernel_id = kernel.id;
    r->map.kernel_holder = kernel.holder_pid;
    std::memcpy(r->map.kernel_name, kernel.kernel_name.c_str(), kernel.kernel_name.size());
    std::memcpy(r->map.kernel_pin, kernel.pin_path.c_str(), kernel.pin_path.size());
  }
  r->object_size = map->memory_size();
  const uint32_t generation = r->generation.load();
  store_->publish(*h);
  std::lock_guard<std::mutex> guard(mutex_);
  map->set_host(this);
  maps_[*h] = OpenMap{generation, map};
  register_regions(*map);
  return *h;
}

Result<std::shared_ptr<Map>> Runtime::open_map_locked(uint32_t handle) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    const Record* r = store_->record(handle);
    if (r == nullptr || r->state.load(std::memory_order_acquire) != kRecordLive ||
        r->kind != static_cast<uint32_t>(ObjectKind::kMap)) {
      return make_error(ErrorCode::kNotFound, fmt::format("there is no map with handle {} in registry '{}'", handle,
                                                          name_.empty() ? "(private)" : name_));
    }
    const uint32_t generation = r->generation.load(std::memory_order_acquire);
    auto it = maps_.find(handle);
    if (it != maps_.end() && it->second.generation == generation) {
      return it->second.map;
    }
    const std::string object = record_object(*r);
    Result<std::shared_ptr<Map>> map = std::shared_ptr<Map>();
    if (r->map.kernel_id != 0) {
      map = open_kernel_record(handle, *r);
      if (!map) {
        if (r->generation.load(std::memory_order_acquire) != generation) {
          continue;  // removed meanwhile
        }
        return map.take_error();
      }
    } else if (object.empty()) {
      return make_error(ErrorCode::kNotFound,
                        fmt::format("map '{}' (handle {}) is private to the process that made it (pid {})",
                                    record_name(*r), handle, r->owner_pid));
    } else {
      map = open_map(object, this);
      if (!map) {
        continue;  // removed meanwhile; the second look reports it
      }
    }
    if (r->generation.load(std::memory_order_acquire) != generation) {
      continue;
    }
    if (it != maps_.end() && it->second.map) {
      retired_.push_back(it->second.map);
    }
    maps_[handle] = OpenMap{generation, *map};
    register_regions(**map);
    return *map;
  }
  return make_error(ErrorCode::kNotFound, fmt::format("map {} changed while it was being opened", handle));
}

Result<std::shared_ptr<Map>> Runtime::open_kernel_record(uint32_t handle, const Record& r) {
  const KernelMapRef ref = kernel_ref_from_record(r);
  const KernelMapOpener opener = kernel_map_opener();
  if (opener == nullptr) {
    return make_error(ErrorCode::kUnsupported,
                      fmt::format("map '{}' (handle {}) is kernel map id {}, and this process cannot open kernel maps: "
                                  "link bpfrt_kernel and call bpfrt::enable_kernel_maps() first",
                                  record_name(r), handle, ref.id));
  }
  auto map = opener(spec_from_record(r), ref);
  if (!map) {
    return map.take_error();
  }
  (*map)->set_host(this);
  return map;
}

Result<std::shared_ptr<Map>> Runtime::map(uint32_t handle) {
  std::lock_guard<std::mutex> guard(mutex_);
  return open_map_locked(handle);
}

Result<std::shared_ptr<Map>> Runtime::map(std::string_view name_or_handle) {
  auto handle = find(ObjectKind::kMap, name_or_handle);
  if (!handle) {
    return handle.take_error();
  }
  return map(*handle);
}

Result<RegistryMapInfo> Runtime::map_info(uint32_t handle) {
  RegistryStore::Lock lock(*store_);
  const Record* r = store_->record(handle);
  if (r == nullptr || r->state.load() != kRecordLive || r->kind != static_cast<uint32_t>(ObjectKind::kMap)) {
    return make_error(ErrorCode::kNotFound, fmt::format("there is no map with handle {}", handle));
  }
  RegistryMapInfo info;
  fill_info(info, handle, *r);
  info.spec = spec_from_record(*r);
  info.shm_name = record_object(*r);
  info.memory_size = r->object_size;
  if (r->map.kernel_id != 0) {
    info.kernel = kernel_ref_from_record(*r);
  }
  return info;
}

std::vector<RegistryMapInfo> Runtime::list_maps() {
  std::vector<RegistryMapInfo> out;
  for (uint32_t h = 1; h <= store_->capacity(); ++h) {
    const Record* r = store_->record(h);
    if (r->state.load() == kRecordLive && r->kind == static_cast<uint32_t>(ObjectKind::kMap)) {
      if (auto info = map_info(h); info) {
        out.push_back(std::move(*info));
      }
    }
  }
  return out;
}

Status Runtime::remove_map(uint32_t handle) {
  return remove(ObjectKind::kMap, handle);
}

Status Runtime::remove(ObjectKind kind, uint32_t handle) {
  RegistryStore::Lock lock(*store_);
  Record* r = store_->record(handle);
  if (r == nullptr || r->state.load() != kRecordLive || r->kind != static_cast<uint32_t>(kind)) {
    return make_error(ErrorCode::kNotFound, fmt::format("there is no {} with handle {} in registry '{}'",
                                                        object_kind_name(kind), handle, name_));
  }
  unlink_record_object(*r);
  store_->release(handle);
  if (store_->trace_pipe_handle().load() == handle) {
    store_->trace_pipe_handle().store(0);
  }
  // This process keeps what it opened: programs running here may still use it.
  return {};
}

void Runtime::register_regions(const Map& map) {
  for (const MemoryRegion& region : map.regions()) {
    const size_t n = region_count_.load(std::memory_order_relaxed);
    if (n >= kMaxRegions) {
      return;
    }
    regions_[n] = region;
    region_count_.store(n + 1, std::memory_order_release);
  }
}

bool Runtime::dynamic_region(const void* self, uint64_t addr, uint64_t len, bool write) {
  const auto* rt = static_cast<const Runtime*>(self);
  const size_t n = rt->region_count_.load(std::memory_order_acquire);
  for (size_t i = 0; i < n; ++i) {
    const MemoryRegion& r = rt->regions_[i];
    const uint64_t d = addr - r.start;
    if (d < r.size && len <= r.size - d && (!write || r.writable)) {
      return true;
    }
  }
  return false;
}

// ---- HelperHost ----

Map* Runtime::map_by_handle(uint32_t handle) {
  std::lock_guard<std::mutex> guard(mutex_);
  auto m = open_map_locked(handle);
  return m ? m->get() : nullptr;
}

int64_t Runtime::program_type(uint32_t handle) {
  const Record* r = store_->record(handle);
  if (r == nullptr || r->state.load() != kRecordLive || r->kind != static_cast<uint32_t>(ObjectKind::kProgram)) {
    return -1;
  }
  return r->prog.prog_type;
}

const Engine* Runtime::program_engine(uint32_t handle, EngineKind kind) {
  auto e = engine(handle, kind);
  return e ? *e : nullptr;
}

Result<std::shared_ptr<Map>> Runtime::trace_pipe() {
  std::lock_guard<std::mutex> guard(trace_mutex_);
  for (int attempt = 0; attempt < 2; ++attempt) {
    const uint32_t handle = store_->trace_pipe_handle().load();
    if (handle != 0) {
      auto m = map(handle);
      if (m) {
        trace_ring_ = *m;
        return *m;
      }
    }
    // Create it, unless another process does so first.
    MapSpec spec;
    spec.type = MapType::kRingbuf;
    spec.max_entries = kTracePipeBytes;
    spec.name = kTracePipeName;
    uint32_t existing = 0;
    {
      RegistryStore::Lock lock(*store_);
      existing = store_->find_name(ObjectKind::kMap, kTracePipeName);
    }
    if (existing != 0) {
      store_->trace_pipe_handle().store(existing);
      continue;
    }
    auto created = create_map_at(spec, 0);
    if (!created) {
      if (attempt == 0) {
        continue;  // lost a race with another creator
      }
      return created.take_error();
    }
    store_->trace_pipe_handle().store(*created);
  }
  return make_error(ErrorCode::kIo, "cannot open the trace pipe");
}

void Runtime::trace(std::string_view line) {
  std::shared_ptr<Map> ring;
  {
    std::lock_guard<std::mutex> guard(trace_mutex_);
    ring = trace_ring_;
  }
  if (!ring || store_->trace_pipe_handle().load() == 0) {
    auto r = trace_pipe();
    if (!r) {
      store_->trace_lost().fetch_add(1);
      return;
    }
    ring = *r;
  }
  std::vector<uint8_t> rec(sizeof(TraceRecord) + line.size());
  TraceRecord hdr{};
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  hdr.timestamp_ns = static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
  hdr.pid = current_pid();
  hdr.tid = current_tid();
  hdr.cpu = current_cpu();
  prctl(PR_GET_NAME, hdr.comm, 0, 0, 0);
  std::memcpy(rec.data(), &hdr, sizeof(hdr));
  if (!line.empty()) {
    std::memcpy(rec.data() + sizeof(hdr), line.data(), line.size());
  }
  if (ringbuf::output(*ring, rec.data(), rec.size(), 0) != 0) {
    store_->trace_lost().fetch_add(1);
  }
}

uint64_t Runtime::trace_lines_lost() const {
  return store_->trace_lost().load();
}

// ---- links and perf events ----

Result<uint32_t> Runtime::add_link(const LinkInfo& link) {
  BPFRT_TRY(check_object_name(ObjectKind::kLink, link.name));
  RegistryStore::Lock lock(*store_);
  auto handle = store_->allocate(ObjectKind::kLink, link.name, link.handle);
  if (!handle) {
    return handle.take_error();
  }
  LinkRecord& l = store_->record(*handle)->link;
  l.program = link.program;
  l.cookie = link.cookie;
  std::strncpy(l.attach_type, link.attach_type.c_str(), sizeof(l.attach_type) - 1);
  std::strncpy(l.target, link.target.c_str(), sizeof(l.target) - 1);
  store_->publish(*handle);
  return *handle;
}

std::vector<LinkInfo> Runtime::list_links() {
  RegistryStore::Lock lock(*store_);
  std::vector<LinkInfo> out;
  for (uint32_t h = 1; h <= store_->capacity(); ++h) {
    const Record* r = store_->record(h);
    if (r->state.load() == kRecordLive && r->kind == static_cast<uint32_t>(ObjectKind::kLink)) {
      LinkInfo info;
      fill_info(info, h, *r);
      info.program = r->link.program;
      info.cookie = r->link.cookie;
      info.attach_type = std::string(r->link.attach_type, strnlen(r->link.attach_type, sizeof(r->link.attach_type)));
      info.target = std::string(r->link.target, strnlen(r->link.target, sizeof(r->link.target)));
      out.push_back(std::move(info));
    }
  }
  return out;
}

Result<uint32_t> Runtime::add_perf_event(const PerfEventInfo& event) {
  BPFRT_TRY(check_object_name(ObjectKind::kPerfEvent, event.name));
  RegistryStore::Lock lock(*store_);
  auto handle = store_->allocate(ObjectKind::kPerfEvent, event.name, event.handle);
  if (!handle) {
    return handle.take_error();
  }
  PerfRecord& p = store_->record(*handle)->perf;
  p.program = event.program;
  p.cpu = event.cpu;
  p.config = event.config;
  std::strncpy(p.event_type, event.event_type.c_str(), sizeof(p.event_type) - 1);
  std::strncpy(p.target, event.target.c_str(), sizeof(p.target) - 1);
  store_->publish(*handle);
  return *handle;
}

std::vector<PerfEventInfo> Runtime::list_perf_events() {
  RegistryStore::Lock lock(*store_);
  std::vector<PerfEventInfo> out;
  for (uint32_t h = 1; h <= store_->capacity(); ++h) {
    const Record* r = store_->record(h);
    if (r->state.load() == kRecordLive && r->kind == static_cast<uint32_t>(ObjectKind::kPerfEvent)) {
      PerfEventInfo info;
      fill_info(info, h, *r);
      info.program = r->perf.program;
      info.cpu = r->perf.cpu;
      info.config = r->perf.config;
      info.event_type = std::string(r->perf.event_type, strnlen(r->perf.event_type, sizeof(r->perf.event_type)));
      info.target = std::string(r->perf.target, strnlen(r->perf.target, sizeof(r->perf.target)));
      out.push_back(std::move(info));
    }
  }
  return out;
}

}  // namespace bpfrt
