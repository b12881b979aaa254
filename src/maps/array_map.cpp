#include "maps/array_map.hpp"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "maps/shared_words.hpp"

namespace bpfrt {
namespace {

constexpr uint32_t kNumaNode = 1u << 2, kMmapable = 1u << 10, kPreserveElems = 1u << 11, kInnerMap = 1u << 12;
constexpr uint32_t kRdonly = 1u << 3, kWronly = 1u << 4, kRdonlyProg = 1u << 7, kWronlyProg = 1u << 8;

uint32_t read_index(const void* key) {
  uint32_t index = 0;
  std::memcpy(&index, key, sizeof(index));
  return index;
}

}  // namespace

ArrayMap::Layout ArrayMap::layout(const MapSpec& spec, uint32_t ncpus) {
  Layout l;
  l.percpu = spec.type == MapType::kPercpuArray;
  l.value_stride = round8(spec.value_size);
  l.values_off = kHeaderSize;
  const uint64_t values = uint64_t{l.value_stride} * spec.max_entries * (l.percpu ? ncpus : 1);
  l.keys_off = round_up(l.values_off + values, 8);
  l.size = round_up(l.keys_off + uint64_t{4} * spec.max_entries, kPageSize);
  return l;
}

void ArrayMap::initialize(uint8_t* base, const MapSpec& spec, uint32_t ncpus) {
  const Layout l = layout(spec, ncpus);
  auto* keys = at<uint32_t>(base, l.keys_off);
  for (uint32_t i = 0; i < spec.max_entries; ++i) {
    keys[i] = i;
  }
}

ArrayMap::ArrayMap(MapSpec spec, std::unique_ptr<Arena> arena, MapHost* host)
    : Map(std::move(spec), std::move(arena), host) {
  base_ = this->arena().base();
  lay_ = layout(spec_, ncpus_);
  if (!holds_handles()) {
    add_region(base_ + lay_.values_off, lay_.keys_off - lay_.values_off, (spec_.flags & kRdonlyProg) == 0);
    add_region(base_ + lay_.keys_off, uint64_t{4} * spec_.max_entries, false);
  }
}

bool ArrayMap::holds_handles() const {
  return spec_.type == MapType::kProgArray || spec_.type == MapType::kArrayOfMaps;
}

uint8_t* ArrayMap::value_ptr(uint32_t index, uint32_t cpu) const {
  const uint64_t slot = lay_.percpu ? uint64_t{cpu} * spec_.max_entries + index : index;
  return base_ + lay_.values_off + slot * lay_.value_stride;
}

std::atomic<uint32_t>& ArrayMap::handle_slot(uint32_t index) const {
  return *reinterpret_cast<std::atomic<uint32_t>*>(value_ptr(index, 0));
}

uint32_t ArrayMap::handle_at(uint32_t index) const {
  if (!holds_handles() || index >= spec_.max_entries) {
    return 0;
  }
  return handle_slot(index).load(std::memory_order_acquire);
}

int ArrayMap::do_lookup(const void* key, void* value, uint64_t flags) {
  if ((flags & ~kBpfFLock) != 0 || ((flags & kBpfFLock) != 0 && spec_.spin_lock_offset < 0)) {
    return -EINVAL;
  }
  if ((spec_.flags & kWronly) != 0) {
    return -EPERM;
  }
  const uint32_t index = read_index(key);
  if (index >= spec_.max_entries) {
    return -ENOENT;
  }
  if (holds_handles()) {
    const uint32_t handle = handle_at(index);
    if (handle == 0) {
      return -ENOENT;
    }
    std::memcpy(value, &handle, sizeof(handle));
    return 0;
  }
  const int32_t lock_off = spec_.spin_lock_offset;
  if (!lay_.percpu) {
    uint8_t* src = value_ptr(index, 0);
    const auto* w = reinterpret_cast<const uint64_t*>(src);
    if (lock_off < 0) {
      words::get(value, w, spec_.value_size);
    } else if ((flags & kBpfFLock) != 0) {
      auto* lock_word = reinterpret_cast<uint32_t*>(src + lock_off);
      (void)spin_lock(lock_word);
      words::get_skipping(value, w, spec_.value_size, static_cast<size_t>(lock_off));
      spin_unlock(lock_word);
    } else {
      words::get_skipping(value, w, spec_.value_size, static_cast<size_t>(lock_off));
    }
    return 0;
  }
  auto* out = static_cast<uint8_t*>(value);
  for (uint32_t cpu = 0; cpu < ncpus_; ++cpu) {
    uint8_t* slot = out + uint64_t{cpu} * lay_.value_stride;
    std::memset(slot, 0, lay_.value_stride);
    words::get(slot, reinterpret_cast<const uint64_t*>(value_ptr(index, cpu)), spec_.value_size);
  }
  return 0;
}

int ArrayMap::write(uint32_t index, const void* value, uint64_t flags, bool all_cpus) {
  if ((flags & ~kBpfFLock) > kBpfExist) {
    return -EINVAL;
  }
  if (index >= spec_.max_entries) {
    return -E2BIG;
  }
  if ((flags & kBpfNoexist) != 0) {
    return -EEXIST;
  }
  const int32_t lock_off = spec_.spin_lock_offset;
  if ((flags & kBpfFLock) != 0 && lock_off < 0) {
    return -EINVAL;
  }
  if (!lay_.percpu) {
    uint8_t* dst = value_ptr(index, 0);
    auto* w = reinterpret_cast<uint64_t*>(dst);
    if (lock_off < 0) {
      words::put(w, value, spec_.value_size);
    } else if ((flags & kBpfFLock) != 0) {
      auto* lock_word = reinterpret_cast<uint32_t*>(dst + lock_off);
      (void)spin_lock(lock_word);
      words::put_skipping(w, value, spec_.value_size, static_cast<size_t>(lock_off));
      spin_unlock(lock_word);
    } else {
      words::put_skipping(w, value, spec_.value_size, static_cast<size_t>(lock_off));
    }
    return 0;
  }
  if (!all_cpus) {
    words::put(reinterpret_cast<uint64_t*>(value_ptr(index, current_cpu())), value, spec_.value_size);
    return 0;
  }
  const auto* src = static_cast<const uint8_t*>(value);
  for (uint32_t cpu = 0; cpu < ncpus_; ++cpu) {
    words::put(reinterpret_cast<uint64_t*>(value_ptr(index, cpu)), src + uint64_t{cpu} * lay_.value_stride,
               spec_.value_size);
  }
  return 0;
}

int ArrayMap::set_handle(uint32_t index, uint32_t handle) {
  if (spec_.type == MapType::kProgArray) {
    const int64_t type = host_ != nullptr ? host_->program_type(handle) : -1;
    if (type < 0) {
      return -EBADF;
    }
    // The first program fixes the type every program in the array must have.
    auto& owner = map_header(base_)->owner_prog_type;
    uint32_t expected = 0;
    const auto wanted = static_cast<uint32_t>(type + 1);
    if (!owner.compare_exchange_strong(expected, wanted) && expected != wanted) {
      return -EINVAL;
    }
  } else {
    Map* inner = host_ != nullptr ? host_->map_by_handle(handle) : nullptr;
    if (inner == nullptr) {
      return -EBADF;
    }
    if (!spec_.inner || !inner_map_compatible(*spec_.inner, inner->spec())) {
      return -EINVAL;
    }
  }
  handle_slot(index).store(handle, std::memory_order_release);
  return 0;
}

int ArrayMap::do_update(const void* key, const void* value, uint64_t flags) {
  if ((spec_.flags & kRdonly) != 0) {
    return -EPERM;
  }
  const uint32_t index = read_index(key);
  if (holds_handles()) {
    if (flags != kBpfAny) {
      return -EINVAL;
    }
    if (index >= spec_.max_entries) {
      return -E2BIG;
    }
    return set_handle(index, read_index(value));
  }
  return write(index, value, flags, true);
}

int ArrayMap::do_erase(const void* key) {
  if ((spec_.flags & kRdonly) != 0) {
    return -EPERM;
  }
  if (!holds_handles()) {
    return -EINVAL;
  }
  const uint32_t index = read_index(key);
  if (index >= spec_.max_entries) {
    return -E2BIG;
  }
  return handle_slot(index).exchange(0, std::memory_order_acq_rel) == 0 ? -ENOENT : 0;
}

int ArrayMap::do_lookup_and_delete(const void*, void*, uint64_t) {
  return -kENOTSUPP;
}

int ArrayMap::do_get_next_key(const void* key, void* next_key) {
  if ((spec_.flags & kWronly) != 0) {
    return -EPERM;
  }
  const uint32_t index = key == nullptr ? UINT32_MAX : read_index(key);
  uint32_t next = 0;
  if (index < spec_.max_entries) {
    if (index == spec_.max_entries - 1) {
      return -ENOENT;
    }
    next = index + 1;
  }
  std::memcpy(next_key, &next, sizeof(next));
  return 0;
}

void* ArrayMap::prog_lookup(const void* key) {
  const uint32_t index = read_index(key);
  if (index >= spec_.max_entries || (spec_.flags & kWronlyProg) != 0 || spec_.type == MapType::kProgArray) {
    return nullptr;
  }
  if (spec_.type == MapType::kArrayOfMaps) {
    Map* inner = host_ != nullptr ? host_->map_by_handle(handle_at(index)) : nullptr;
    return inner != nullptr ? reinterpret_cast<void*>(inner->program_handle()) : nullptr;
  }
  return value_ptr(index, lay_.percpu ? current_cpu() : 0);
}

long ArrayMap::prog_update(const void* key, const void* value, uint64_t flags) {
  if (holds_handles()) {
    return -EINVAL;
  }
  if ((spec_.flags & kRdonlyProg) != 0) {
    return -EPERM;
  }
  return write(read_index(key), value, flags, false);
}

long ArrayMap::prog_delete(const void*) {
  return -EINVAL;
}

long ArrayMap::for_each(const std::function<long(const MapElement&)>& fn) {
  if (holds_handles()) {
    return -EINVAL;
  }
  const uint32_t cpu = lay_.percpu ? current_cpu() : 0;
  const auto* keys = at<uint32_t>(base_, lay_.keys_off);
  long calls = 0;
  for (uint32_t i = 0; i < spec_.max_entries; ++i) {
    ++calls;
    if (fn(MapElement{reinterpret_cast<const uint8_t*>(&keys[i]), value_ptr(i, cpu)}) != 0) {
      break;
    }
  }
  return calls;
}

// Plain arrays: the lookup is a bounds check and an address (per-CPU arrays need the calling CPU, and
// maps of handles or write-only ones return something else, so those call prog_lookup directly).
MapLookupShortcut ArrayMap::lookup_shortcut() {
  MapLookupShortcut s;
  s.key_size = spec_.key_size;
  if (!lay_.percpu && !holds_handles() && (spec_.flags & kWronlyProg) == 0) {
    s.kind = MapLookupShortcut::Kind::kArray;
    s.values = reinterpret_cast<uint64_t>(base_ + lay_.values_off);
    s.value_stride = lay_.value_stride;
    s.max_entries = spec_.max_entries;
    return s;
  }
  s.kind = MapLookupShortcut::Kind::kCall;
  s.lookup = [](void* map, const void* key) { return static_cast<ArrayMap*>(map)->ArrayMap::prog_lookup(key); };
  s.map = this;
  return s;
}

Result<uint64_t> ArrayMap::direct_value_address(uint32_t offset) {
  if (spec_.type != MapType::kArray || spec_.max_entries != 1) {
    return Map::direct_value_address(offset);
  }
  if (offset >= spec_.value_size) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("offset {} is outside the {}-byte value of map '{}'",
                                                               offset, spec_.value_size, spec_.name));
  }
  return reinterpret_cast<uint64_t>(value_ptr(0, 0)) + offset;
}

// ---- type table entries ----
namespace {

int check_array(const MapSpec& spec, std::string* why) {
  auto refuse = [&](int err, const char* reason) {
    if (why != nullptr) {
      *why = reason;
    }
    return err;
  };
  const bool percpu = spec.type == MapType::kPercpuArray;
  const bool fd_array =
      spec.type == MapType::kProgArray || spec.type == MapType::kArrayOfMaps || spec.type == MapType::kPerfEventArray;
  if (fd_array) {
    if (spec.value_size != 4) {
      return refuse(-EINVAL, "this array holds 4-byte handles: value_size must be 4");
    }
    if ((spec.flags & (kRdonlyProg | kWronlyProg)) != 0) {
      return refuse(-EINVAL, "BPF_F_RDONLY_PROG/WRONLY_PROG do not apply to this array");
    }
  }
  constexpr uint32_t kMask = kNumaNode | kMmapable | kAccessMask | kPreserveElems | kInnerMap;
  if (spec.max_entries == 0 || spec.key_size != 4 || spec.value_size == 0 || (spec.flags & ~kMask) != 0 ||
      !flags_access_ok(spec.flags) || (percpu && (spec.flags & kNumaNode) != 0)) {
    return refuse(-EINVAL, "arrays need key_size 4, value_size > 0, max_entries > 0 and valid flags");
  }
  if (spec.type != MapType::kArray && (spec.flags & (kMmapable | kInnerMap)) != 0) {
    return refuse(-EINVAL, "BPF_F_MMAPABLE and BPF_F_INNER_MAP are for plain arrays");
  }
  if (spec.type != MapType::kPerfEventArray && (spec.flags & kPreserveElems) != 0) {
    return refuse(-EINVAL, "BPF_F_PRESERVE_ELEMS is for perf event arrays");
  }
  if (spec.value_size > INT32_MAX) {
    return refuse(-E2BIG, "value_size is too large");
  }
  if (percpu && round8(spec.value_size) > kPcpuMinUnitSize) {
    return refuse(-E2BIG, "per-CPU values are limited to 32 KiB");
  }
  if (spec.type == MapType::kArrayOfMaps) {
    return check_inner_template(spec, why);
  }
  return 0;
}

uint64_t array_memory(const MapSpec& spec, uint32_t ncpus) {
  return ArrayMap::layout(spec, ncpus).size;
}

Result<std::unique_ptr<Map>> attach_array(MapSpec spec, std::unique_ptr<Arena> arena, MapHost* host) {
  return std::unique_ptr<Map>(new ArrayMap(std::move(spec), std::move(arena), host));
}

}  // namespace

// Shared with the perf event array, which is an array of handles too.
int check_array_spec(const MapSpec& spec, std::string* why) {
  return check_array(spec, why);
}

const MapTypeOps kArrayMapOps{MapType::kArray, "array", check_array, array_memory, ArrayMap::initialize, attach_array};
const MapTypeOps kPercpuArrayMapOps{MapType::kPercpuArray, "percpu_array",       check_array,
                                    array_memory,          ArrayMap::initialize, attach_array};
const MapTypeOps kProgArrayMapOps{MapType::kProgArray, "prog_array",         check_array,
                                  array_memory,        ArrayMap::initialize, attach_array};
const MapTypeOps kArrayOfMapsOps{MapType::kArrayOfMaps, "array_of_maps",      check_array,
                                 array_memory,          ArrayMap::initialize, attach_array};

}  // namespace bpfrt
