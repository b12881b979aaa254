// KernelMap: a registry map backed by a kernel map (bpf() for userspace operations, the kernel's mmap
// of BPF_F_MMAPABLE arrays for programs), and loading an object's bpfrt programs onto the kernel's maps.
#include <cerrno>
#include <cstring>

#include <bpf/bpf.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bpfrt/kernel_object.hpp"

#include "maps/arena.hpp"
#include "maps/map_base.hpp"

namespace bpfrt {
namespace {

constexpr uint32_t kMmapable = 1u << 10;       // BPF_F_MMAPABLE
constexpr uint32_t kFlagRdonlyProg = 1u << 7;  // BPF_F_RDONLY_PROG

size_t round8(size_t n) {
  return (n + 7) & ~size_t{7};
}

int errno_rc(int rc) {
  return rc == 0 ? 0 : (errno != 0 ? -errno : rc);
}

class KernelMap final : public Map {
 public:
  KernelMap(MapSpec spec, std::unique_ptr<Arena> header, int fd, uint8_t* values, size_t values_size)
      : Map(std::move(spec), std::move(header), nullptr), fd_(fd), values_(values), values_size_(values_size) {
    add_region(values_, values_size_, (spec_.flags & kFlagRdonlyProg) == 0);
  }
  ~KernelMap() override {
    munmap(values_, values_size_);
    close(fd_);
  }
  KernelMap(const KernelMap&) = delete;
  KernelMap& operator=(const KernelMap&) = delete;

  // Programs: the kernel's own value memory.
  void* prog_lookup(const void* key) override {
    uint32_t index;
    std::memcpy(&index, key, sizeof(index));
    return index < spec_.max_entries ? values_ + size_t{index} * round8(spec_.value_size) : nullptr;
  }
  long prog_update(const void* key, const void* value, uint64_t flags) override {
    return errno_rc(bpf_map_update_elem(fd_, key, value, flags));
  }
  Result<uint64_t> direct_value_address(uint32_t offset) override {
    if (spec_.max_entries != 1 || offset >= spec_.value_size) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("map '{}': direct value offset {} is outside its {}-byte value", spec_.name, offset,
                                    spec_.value_size));
    }
    return reinterpret_cast<uint64_t>(values_) + offset;
  }
  long for_each(const std::function<long(const MapElement&)>& fn) override {
    long calls = 0;
    for (uint32_t i = 0; i < spec_.max_entries; ++i) {
      ++calls;
      if (fn(MapElement{reinterpret_cast<const uint8_t*>(&i), values_ + size_t{i} * round8(spec_.value_size)}) != 0) {
        break;
      }
    }
    return calls;
  }

 protected:
  int do_lookup(const void* key, void* value, uint64_t flags) override {
    return errno_rc(bpf_map_lookup_elem_flags(fd_, key, value, flags));
  }
  int do_update(const void* key, const void* value, uint64_t flags) override {
    return errno_rc(bpf_map_update_elem(fd_, key, value, flags));
  }
  int do_erase(const void* key) override { return errno_rc(bpf_map_delete_elem(fd_, key)); }
  int do_get_next_key(const void* key, void* next_key) override {
    return errno_rc(bpf_map_get_next_key(fd_, key, next_key));
  }

 private:
  int fd_;
  uint8_t* values_;
  size_t values_size_;
};

}  // namespace

Result<std::shared_ptr<Map>> make_kernel_map(const KernelMapInfo& km, const std::string& name) {
  MapSpec spec = km.spec;
  spec.name = name;
  if (spec.type != MapType::kArray || (spec.flags & kMmapable) == 0) {
    return make_error(ErrorCode::kUnsupported,
                      fmt::format("kernel map '{}' ({}, flags 0x{:x}) cannot be shared with bpfrt programs: only "
                                  "arrays with BPF_F_MMAPABLE (and global data) are, since a program's lookup must "
                                  "point into the kernel's memory",
                                  km.name, map_type_name(spec.type), spec.flags));
  }
  const size_t size = (round8(spec.value_size) * spec.max_entries + 4095) & ~size_t{4095};
  const int fd = fcntl(km.fd, F_DUPFD_CLOEXEC, 3);
  if (fd < 0) {
    return make_error(ErrorCode::kIo, fmt::format("kernel map '{}': dup: {}", km.name, std::strerror(errno)));
  }
  const bool writable = (spec.flags & kFlagRdonlyProg) == 0;
  void* values = mmap(nullptr, size, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED, fd, 0);
  if (values == MAP_FAILED) {
    const int err = errno;
    close(fd);
    return make_error(ErrorCode::kIo, fmt::format("kernel map '{}': mmap: {}", km.name, std::strerror(err)));
  }
  auto header = Arena::create_private(kHeaderSize);
  if (!header) {
    munmap(values, size);
    close(fd);
    return header.take_error();
  }
  MapHeader* h = map_header((*header)->base());
  h->type = static_cast<uint32_t>(spec.type);
  h->key_size = spec.key_size;
  h->value_size = spec.value_size;
  h->max_entries = spec.max_entries;
  h->flags = spec.flags;
  h->ncpus = possible_cpus();
  h->memory_size = size;
  h->ready.store(1);
  return std::shared_ptr<Map>(
      std::make_shared<KernelMap>(std::move(spec), std::move(*header), fd, static_cast<uint8_t*>(values), size));
}

Result<LoadedObject> load_object_with_kernel_maps(Runtime& runtime, const Object& object, const KernelObject& kernel,
                                                  ObjectLoadOptions options) {
  options.make_map = [&](uint32_t, const ObjectMap& m, const MapSpec& spec) -> Result<uint32_t> {
    const KernelMapInfo* km = kernel.find_map(m.name);
    if (km == nullptr) {
      return make_error(ErrorCode::kNotFound,
                        fmt::format("map '{}' is not in the kernel's copy of object '{}'", m.name, kernel.name()));
    }
    auto map = make_kernel_map(*km, spec.name);
    if (!map) {
      return map.take_error();
    }
    return runtime.add_map(std::move(*map));
  };
  return load_object(runtime, object, options);
}

}  // namespace bpfrt
