// KernelMap: a registry map backed by a kernel map (bpf() for userspace operations, the kernel's mmap
// of BPF_F_MMAPABLE arrays for programs; copies for other keyed maps; the kernel's perf output).
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <mutex>
#include <vector>

#include <bpf/bpf.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/bpf.h>
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

Result<std::unique_ptr<Arena>> make_header(const MapSpec& spec, size_t memory_size) {
  auto header = Arena::create_private(kHeaderSize);
  if (!header) {
    return header.take_error();
  }
  MapHeader* h = map_header((*header)->base());
  h->type = static_cast<uint32_t>(spec.type);
  h->key_size = spec.key_size;
  h->value_size = spec.value_size;
  h->max_entries = spec.max_entries;
  h->flags = spec.flags;
  h->ncpus = possible_cpus();
  h->memory_size = memory_size;
  h->ready.store(1);
  return std::move(*header);
}

bool is_percpu_type(MapType t) {
  return t == MapType::kPercpuArray || t == MapType::kPercpuHash || t == MapType::kLruPercpuHash;
}

// Kernel maps programs reach through copies: every keyed type whose values bpf() reads and writes.
bool copy_shared_type(MapType t) {
  return t == MapType::kArray || t == MapType::kHash || t == MapType::kLruHash || is_percpu_type(t);
}

// A kernel map without mmap (hash, per-CPU and LRU forms, arrays without BPF_F_MMAPABLE). Userspace
// operations are bpf() calls. A program's lookup copies the value (its CPU's, for per-CPU maps) into
// a slot owned by the run; the run sees its own writes there, and when it ends every slot whose bytes
// changed is written back with BPF_EXIST (per-CPU maps: the other CPUs' values are re-read and kept).
class KernelCopyMap final : public Map {
 public:
  static constexpr uint32_t kSlots = 256;

  KernelCopyMap(MapSpec spec, std::unique_ptr<Arena> header, int fd)
      : Map(std::move(spec), std::move(header), nullptr),
        fd_(fd),
        percpu_(is_percpu_type(spec_.type)),
        vstride_(round8(spec_.value_size)),
        kstride_(round8(spec_.key_size)),
        values_(size_t{kSlots} * vstride_),
        snapshots_(size_t{kSlots} * vstride_),
        keys_(size_t{kSlots} * kstride_),
        slots_(kSlots) {
    add_region(values_.data(), values_.size(), (spec_.flags & kFlagRdonlyProg) == 0);
    add_region(keys_.data(), keys_.size(), false);
  }
  ~KernelCopyMap() override { close(fd_); }
  KernelCopyMap(const KernelCopyMap&) = delete;
  KernelCopyMap& operator=(const KernelCopyMap&) = delete;

  bool copies_values() const override { return true; }

  // Only through prog_lookup_copy: a pointer outside a run could never be written back.
  void* prog_lookup(const void*) override { return nullptr; }

  void* prog_lookup_copy(const void* key, const void* run) override {
    std::lock_guard<std::mutex> guard(mutex_);
    for (uint32_t i = 0; i < kSlots; ++i) {
      if (slots_[i].owner == run && slots_[i].live && std::memcmp(key_at(i), key, spec_.key_size) == 0) {
        return value_at(i);  // the run sees its own writes
      }
    }
    if (errno_rc(bpf_map_lookup_elem(fd_, key, user_.data())) != 0) {
      return nullptr;
    }
    const uint32_t i = copy_in(run, key);
    if (i == kSlots) {
      return nullptr;  // every slot is held by running programs: as if absent (documented)
    }
    return value_at(i);
  }

  void prog_run_end(const void* run) override {
    std::lock_guard<std::mutex> guard(mutex_);
    for (uint32_t i = 0; i < kSlots; ++i) {
      if (slots_[i].owner == run) {
        release_slot(i);
      }
    }
  }

  long prog_update(const void* key, const void* value, uint64_t flags) override {
    if (!percpu_) {
      return do_update(key, value, flags);
    }
    // A program updates its CPU's value only: the others are read and written back unchanged.
    std::lock_guard<std::mutex> guard(mutex_);
    const uint32_t cpu = current_cpu() % ncpus_;
    if (errno_rc(bpf_map_lookup_elem(fd_, key, user_.data())) != 0) {
      std::fill(user_.begin(), user_.end(), 0);
    }
    std::memcpy(user_.data() + size_t{cpu} * vstride_, value, spec_.value_size);
    const long rc = errno_rc(bpf_map_update_elem(fd_, key, user_.data(), flags));
    if (rc == 0) {
      refresh_copies(key);
    }
    return rc;
  }

  long prog_delete(const void* key) override { return do_erase(key); }

  long for_each(const std::function<long(const MapElement&)>& fn) override {
    const int token = 0;  // this call's slots
    std::vector<uint8_t> key(spec_.key_size);
    std::vector<uint8_t> next(spec_.key_size);
    long calls = 0;
    bool first = true;
    while (true) {
      uint32_t i = kSlots;
      {
        std::lock_guard<std::mutex> guard(mutex_);
        if (errno_rc(bpf_map_get_next_key(fd_, first ? nullptr : key.data(), next.data())) != 0) {
          break;
        }
        first = false;
        key = next;
        if (errno_rc(bpf_map_lookup_elem(fd_, key.data(), user_.data())) != 0) {
          continue;  // deleted meanwhile
        }
        i = copy_in(&token, key.data());
        if (i == kSlots) {
          break;
        }
      }
      ++calls;
      const long stop = fn(MapElement{key_at(i), value_at(i)});  // without the lock: fn may use the map
      std::lock_guard<std::mutex> guard(mutex_);
      release_slot(i);
      if (stop != 0) {
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
    std::lock_guard<std::mutex> guard(mutex_);
    const int rc = errno_rc(bpf_map_update_elem(fd_, key, value, flags));
    if (rc == 0) {
      refresh_copies(key);
    }
    return rc;
  }
  int do_erase(const void* key) override {
    std::lock_guard<std::mutex> guard(mutex_);
    const int rc = errno_rc(bpf_map_delete_elem(fd_, key));
    if (rc == 0) {
      kill_copies(key);
    }
    return rc;
  }
  int do_get_next_key(const void* key, void* next_key) override {
    return errno_rc(bpf_map_get_next_key(fd_, key, next_key));
  }

 private:
  struct Slot {
    const void* owner = nullptr;
    uint32_t cpu = 0;
    bool live = true;  // false once the element was deleted through this map: never written back
  };

  uint8_t* value_at(uint32_t i) { return values_.data() + size_t{i} * vstride_; }
  uint8_t* snapshot_at(uint32_t i) { return snapshots_.data() + size_t{i} * vstride_; }
  uint8_t* key_at(uint32_t i) { return keys_.data() + size_t{i} * kstride_; }

  // A free slot, now owned by `owner` for `key`; kSlots if none is free. Under mutex_.
  uint32_t take_slot(const void* owner, const void* key, uint32_t cpu) {
    for (uint32_t i = 0; i < kSlots; ++i) {
      if (slots_[i].owner == nullptr) {
        slots_[i] = Slot{owner, cpu, true};
        std::memcpy(key_at(i), key, spec_.key_size);
        return i;
      }
    }
    return kSlots;
  }

  // A copy of `key`'s element, just read into user_, in a free slot now owned by `owner` (per-CPU maps:
  // this CPU's value); kSlots if every slot is taken. Under mutex_.
  uint32_t copy_in(const void* owner, const void* key) {
    const uint32_t i = take_slot(owner, key, percpu_ ? current_cpu() % ncpus_ : 0);
    if (i != kSlots) {
      fill_slot(i);
    }
    return i;
  }

  // Slot i's copy set from the element read into user_ (its CPU's value), and the snapshot write_back
  // compares it with. Under mutex_.
  void fill_slot(uint32_t i) {
    std::memcpy(value_at(i), user_.data() + size_t{slots_[i].cpu} * vstride_, spec_.value_size);
    std::memcpy(snapshot_at(i), value_at(i), spec_.value_size);
  }

  // The end of a copy's use: written back if changed, its slot free again. Under mutex_.
  void release_slot(uint32_t i) {
    write_back(i);
    slots_[i].owner = nullptr;
  }

  // Copies of a deleted element: their pointers stay valid until the run ends, but later lookups do
  // not find them and nothing is written back (a re-inserted element is not overwritten). Under mutex_.
  void kill_copies(const void* key) {
    for (uint32_t i = 0; i < kSlots; ++i) {
      if (slots_[i].owner != nullptr && std::memcmp(key_at(i), key, spec_.key_size) == 0) {
        slots_[i].live = false;
      }
    }
  }

  // Writes slot i back if the program changed it (an element deleted meanwhile stays deleted: the
  // update with BPF_EXIST fails). Under mutex_.
  void write_back(uint32_t i) {
    if (!slots_[i].live || std::memcmp(value_at(i), snapshot_at(i), spec_.value_size) == 0) {
      return;
    }
    if (!percpu_) {
      bpf_map_update_elem(fd_, key_at(i), value_at(i), kBpfExist);
      return;
    }
    if (errno_rc(bpf_map_lookup_elem(fd_, key_at(i), user_.data())) != 0) {
      return;
    }
    std::memcpy(user_.data() + size_t{slots_[i].cpu} * vstride_, value_at(i), spec_.value_size);
    bpf_map_update_elem(fd_, key_at(i), user_.data(), kBpfExist);
  }

  // After an update through the map, copies of `key` that no program has changed show the new value
  // (as a program's pointer into a kernel array would). Under mutex_.
  void refresh_copies(const void* key) {
    bool read = false;
    for (uint32_t i = 0; i < kSlots; ++i) {
      if (slots_[i].owner == nullptr || !slots_[i].live || std::memcmp(key_at(i), key, spec_.key_size) != 0 ||
          std::memcmp(value_at(i), snapshot_at(i), spec_.value_size) != 0) {
        continue;
      }
      if (!read && errno_rc(bpf_map_lookup_elem(fd_, key, user_.data())) != 0) {
        return;
      }
      read = true;
      fill_slot(i);
    }
  }

  int fd_;
  bool percpu_;
  size_t vstride_;
  size_t kstride_;
  std::mutex mutex_;
  std::vector<uint8_t> values_;     // the copies programs see (a region)
  std::vector<uint8_t> snapshots_;  // each copy as read, to write back only what changed
  std::vector<uint8_t> keys_;       // each copy's key (a read-only region, for for_each callbacks)
  std::vector<Slot> slots_;
  std::vector<uint8_t> user_ = std::vector<uint8_t>(size_t{possible_cpus()} * round8(spec_.value_size));
};

// bpf_insn builders for the one kernel program bpfrt loads itself.
bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}

// A kernel perf event array. Userspace operations are bpf() calls; a program's bpf_perf_event_output
// is delegated to the kernel: the sample is written into a one-element scratch array and a small
// raw-tracepoint program, run with BPF_PROG_TEST_RUN on the sample's CPU, calls the kernel's
// bpf_perf_event_output on the map — so kernel perf buffers (libbpf's perf_buffer) receive it.
class KernelPerfMap final : public Map {
 public:
  static constexpr uint32_t kMaxSample = 0xfff0;  // a perf record's size is 16 bits

  static Result<std::shared_ptr<Map>> create(MapSpec spec, std::unique_ptr<Arena> header, int fd) {
    auto map = std::make_shared<KernelPerfMap>(std::move(spec), std::move(header), fd);
    BPFRT_TRY(map->load_forwarder());
    return std::shared_ptr<Map>(std::move(map));
  }

  KernelPerfMap(MapSpec spec, std::unique_ptr<Arena> header, int fd)
      : Map(std::move(spec), std::move(header), nullptr), fd_(fd) {}
  ~KernelPerfMap() override {
    if (prog_fd_ >= 0) {
      close(prog_fd_);
    }
    if (scratch_fd_ >= 0) {
      close(scratch_fd_);
    }
    close(fd_);
  }
  KernelPerfMap(const KernelPerfMap&) = delete;
  KernelPerfMap& operator=(const KernelPerfMap&) = delete;

  long perf_output(uint64_t flags, const void* data, uint64_t size) override {
    constexpr uint64_t kIndexMask = 0xffffffffULL;  // BPF_F_INDEX_MASK
    if ((flags & ~kIndexMask) != 0) {
      return -EINVAL;
    }
    if (size > kMaxSample) {
      return -E2BIG;
    }
    // The kernel writes into the perf event of the CPU it runs on: run where the sample belongs.
    const uint64_t index = flags & kIndexMask;
    const uint32_t cpu = index == kIndexMask || index >= ncpus_ ? current_cpu() % ncpus_ : static_cast<uint32_t>(index);
    std::lock_guard<std::mutex> guard(mutex_);
    const uint32_t zero = 0;
    std::memcpy(scratch_.data(), data, size);
    if (const int rc = errno_rc(bpf_map_update_elem(scratch_fd_, &zero, scratch_.data(), kBpfAny)); rc != 0) {
      return rc;
    }
    const uint64_t args[2] = {flags, size};
    LIBBPF_OPTS(bpf_test_run_opts, run);
    run.ctx_in = args;
    run.ctx_size_in = sizeof(args);
    run.flags = BPF_F_TEST_RUN_ON_CPU;
    run.cpu = cpu;
    if (const int rc = errno_rc(bpf_prog_test_run_opts(prog_fd_, &run)); rc != 0) {
      return rc;
    }
    return static_cast<int32_t>(run.retval);
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
  Status load_forwarder() {
    scratch_fd_ = bpf_map_create(BPF_MAP_TYPE_ARRAY, "bpfrt_perf_tmp", sizeof(uint32_t), kMaxSample, 1, nullptr);
    if (scratch_fd_ < 0) {
      return make_error(ErrorCode::kIo, fmt::format("perf event array '{}': creating the sample buffer: {}", spec_.name,
                                                    std::strerror(errno)));
    }
    constexpr uint8_t kLdxDw = BPF_LDX | BPF_MEM | BPF_DW;
    constexpr uint8_t kLddw = BPF_LD | BPF_IMM | BPF_DW;
    const bpf_insn prog[] = {
        insn(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0),      // r6 = ctx (u64 args[])
        insn(kLdxDw, 7, 6, 0, 0),                           // r7 = args[0]: flags
        insn(kLdxDw, 8, 6, 8, 0),                           // r8 = args[1]: size
        insn(BPF_ST | BPF_MEM | BPF_W, 10, 0, -4, 0),       // key = 0
        insn(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0),     //
        insn(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -4),     // r2 = &key
        insn(kLddw, 1, BPF_PSEUDO_MAP_FD, 0, scratch_fd_),  // r1 = scratch
        insn(0, 0, 0, 0, 0),                                //
        insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),
        insn(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 9, 0),           // no buffer: out
        insn(BPF_JMP | BPF_JGT | BPF_K, 8, 0, 8, kMaxSample),  // too big: out
        insn(BPF_ALU64 | BPF_MOV | BPF_X, 4, 0, 0, 0),         // r4 = sample
        insn(BPF_ALU64 | BPF_MOV | BPF_X, 5, 8, 0, 0),         // r5 = size
        insn(BPF_ALU64 | BPF_MOV | BPF_X, 3, 7, 0, 0),         // r3 = flags
        insn(kLddw, 2, BPF_PSEUDO_MAP_FD, 0, fd_),             // r2 = the perf event array
        insn(0, 0, 0, 0, 0),                                   //
        insn(BPF_ALU64 | BPF_MOV | BPF_X, 1, 6, 0, 0),         // r1 = ctx
        insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_perf_event_output),
        insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
        insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, -E2BIG),  // out:
        insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
    };
    std::vector<char> log(4096);
    LIBBPF_OPTS(bpf_prog_load_opts, opts);
    opts.log_buf = log.data();
    opts.log_size = static_cast<uint32_t>(log.size());
    opts.log_level = 1;
    prog_fd_ = bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, "bpfrt_perf_out", "GPL", prog, std::size(prog), &opts);
    if (prog_fd_ < 0) {
      return make_error(ErrorCode::kIo, fmt::format("perf event array '{}': loading the output program: {}: {}",
                                                    spec_.name, std::strerror(errno), log.data()));
    }
    return {};
  }

  int fd_;
  int scratch_fd_ = -1;
  int prog_fd_ = -1;
  std::mutex mutex_;
  std::vector<uint8_t> scratch_ = std::vector<uint8_t>(kMaxSample);
};

}  // namespace

Result<std::shared_ptr<Map>> make_kernel_map(const KernelMapInfo& km, const std::string& name) {
  MapSpec spec = km.spec;
  spec.name = name;
  if (copy_shared_type(spec.type) && !(spec.type == MapType::kArray && (spec.flags & kMmapable) != 0)) {
    const int fd = fcntl(km.fd, F_DUPFD_CLOEXEC, 3);
    if (fd < 0) {
      return make_error(ErrorCode::kIo, fmt::format("kernel map '{}': dup: {}", km.name, std::strerror(errno)));
    }
    auto header = make_header(spec, 0);
    if (!header) {
      close(fd);
      return header.take_error();
    }
    return std::shared_ptr<Map>(std::make_shared<KernelCopyMap>(std::move(spec), std::move(*header), fd));
  }
  if (spec.type == MapType::kPerfEventArray) {
    const int fd = fcntl(km.fd, F_DUPFD_CLOEXEC, 3);
    if (fd < 0) {
      return make_error(ErrorCode::kIo, fmt::format("kernel map '{}': dup: {}", km.name, std::strerror(errno)));
    }
    auto header = make_header(spec, 0);
    if (!header) {
      close(fd);
      return header.take_error();
    }
    return KernelPerfMap::create(std::move(spec), std::move(*header), fd);
  }
  if (spec.type != MapType::kArray || (spec.flags & kMmapable) == 0) {
    return make_error(ErrorCode::kUnsupported,
                      fmt::format("kernel map '{}' ({}, flags 0x{:x}) cannot be shared with bpfrt programs: only "
                                  "arrays, hash maps, their per-CPU and LRU forms and perf event arrays are",
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
  auto header = make_header(spec, size);
  if (!header) {
    munmap(values, size);
    close(fd);
    return header.take_error();
  }
  return std::shared_ptr<Map>(
      std::make_shared<KernelMap>(std::move(spec), std::move(*header), fd, static_cast<uint8_t*>(values), size));
}

}  // namespace bpfrt
