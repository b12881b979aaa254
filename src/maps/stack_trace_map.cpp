// BPF_MAP_TYPE_STACK_TRACE: stack id -> up to value_size / 8 instruction addresses. The id is the
// stack's hash modulo the bucket count (max_entries rounded up to a power of two), as in the kernel:
// a different stack hashing to a taken bucket gets -EEXIST unless BPF_F_REUSE_STACKID replaces it.
// Each bucket is guarded by a bpf_spin_lock-style word (owner thread; a dead owner's lock is taken
// over). Build-id stacks (BPF_F_STACK_BUILD_ID) are not supported.
#include <cerrno>
#include <cstring>

#include "maps/map_base.hpp"
#include "maps/shared_words.hpp"

namespace bpfrt {
namespace {

constexpr uint32_t kNumaNode = 1u << 2, kBuildId = 1u << 5;
constexpr uint32_t kRdonly = 1u << 3, kWronly = 1u << 4;
constexpr uint32_t kBuildIdFrameSize = 32;  // struct bpf_stack_build_id
constexpr uint64_t kSkipMask = 0xff, kUserStack = 1u << 8, kFastCmp = 1u << 9, kReuse = 1u << 10;

struct Bucket {
  uint32_t lock;
  std::atomic<uint32_t> nr;  // addresses stored; 0 = empty
  uint64_t hash;
  uint64_t ips[1];
};

class StackTraceMap final : public Map {
 public:
  static uint32_t buckets(const MapSpec& spec) { return static_cast<uint32_t>(roundup_pow2(spec.max_entries)); }
  static uint64_t stride(const MapSpec& spec) { return 16 + uint64_t{spec.value_size}; }
  static uint64_t memory(const MapSpec& spec, uint32_t) {
    return round_up(kHeaderSize + stride(spec) * buckets(spec), kPageSize);
  }
  static void initialize(uint8_t*, const MapSpec&, uint32_t) {}

  StackTraceMap(MapSpec spec, std::unique_ptr<Arena> arena, MapHost* host)
      : Map(std::move(spec), std::move(arena), host),
        base_(this->arena().base()),
        n_buckets_(buckets(spec_)),
        depth_(spec_.value_size / 8) {}

  int do_lookup(const void* key, void* value, uint64_t flags) override {
    if (flags != 0) {
      return -EINVAL;
    }
    if ((spec_.flags & kWronly) != 0) {
      return -EPERM;
    }
    const uint32_t id = read_u32(key);
    if (id >= n_buckets_) {
      return -ENOENT;
    }
    Bucket& b = bucket(id);
    Guard g(b);
    const uint32_t nr = b.nr.load(std::memory_order_relaxed);
    if (nr == 0) {
      return -ENOENT;
    }
    std::memset(value, 0, spec_.value_size);
    words::get(value, b.ips, uint64_t{std::min(nr, depth_)} * 8);
    return 0;
  }
  int do_update(const void*, const void*, uint64_t) override { return -EINVAL; }
  int do_erase(const void* key) override {
    if ((spec_.flags & kRdonly) != 0) {
      return -EPERM;
    }
    const uint32_t id = read_u32(key);
    if (id >= n_buckets_) {
      return -E2BIG;
    }
    Bucket& b = bucket(id);
    Guard g(b);
    return b.nr.exchange(0, std::memory_order_relaxed) == 0 ? -ENOENT : 0;
  }
  int do_lookup_and_delete(const void* key, void* value, uint64_t flags) override {
    if (flags != 0) {
      return -EINVAL;
    }
    const uint32_t id = read_u32(key);
    if (id >= n_buckets_) {
      return -ENOENT;
    }
    Bucket& b = bucket(id);
    Guard g(b);
    const uint32_t nr = b.nr.exchange(0, std::memory_order_relaxed);
    if (nr == 0) {
      return -ENOENT;
    }
    std::memset(value, 0, spec_.value_size);
    words::get(value, b.ips, uint64_t{std::min(nr, depth_)} * 8);
    return 0;
  }
  int do_get_next_key(const void* key, void* next_key) override {
    if ((spec_.flags & kWronly) != 0) {
      return -EPERM;
    }
    uint32_t id = 0;
    if (key != nullptr) {
      id = read_u32(key);
      id = (id >= n_buckets_ || bucket(id).nr.load(std::memory_order_relaxed) == 0) ? 0 : id + 1;
    }
    while (id < n_buckets_ && bucket(id).nr.load(std::memory_order_relaxed) == 0) {
      ++id;
    }
    if (id >= n_buckets_) {
      return -ENOENT;
    }
    std::memcpy(next_key, &id, 4);
    return 0;
  }
  long prog_update(const void*, const void*, uint64_t) override { return -EINVAL; }
  long prog_delete(const void* key) override { return erase(key); }

  long store(std::span<const uint64_t> ips, uint64_t flags) {
    if ((flags & ~(kSkipMask | kUserStack | kFastCmp | kReuse)) != 0) {
      return -EINVAL;
    }
    const uint32_t nr = static_cast<uint32_t>(std::min<size_t>(ips.size(), depth_));
    if (nr == 0) {
      return -EFAULT;
    }
    const uint64_t hash = words::hash(ips.data(), nr, 0x5eed);
    const auto id = static_cast<uint32_t>(hash & (n_buckets_ - 1));
    Bucket& b = bucket(id);
    Guard g(b);
    const uint32_t have = b.nr.load(std::memory_order_relaxed);
    if (have != 0 && words::load(&b.hash) == hash) {
      if ((flags & kFastCmp) != 0 || (have == nr && words::equal(b.ips, ips.data(), nr))) {
        return id;
      }
    }
    if (have != 0 && (flags & kReuse) == 0) {
      return -EEXIST;
    }
    words::store(&b.hash, hash);
    for (uint32_t i = 0; i < nr; ++i) {
      words::store(&b.ips[i], ips[i]);
    }
    b.nr.store(nr, std::memory_order_relaxed);
    return id;
  }

  std::vector<std::vector<uint8_t>> export_items() const override {
    std::vector<std::vector<uint8_t>> items;
    for (uint32_t id = 0; id < n_buckets_; ++id) {
      Bucket& b = bucket(id);
      Guard g(b);
      const uint32_t nr = b.nr.load(std::memory_order_relaxed);
      if (nr == 0) {
        continue;
      }
      std::vector<uint8_t> item(4 + 8ull * nr);
      std::memcpy(item.data(), &id, 4);
      words::get(item.data() + 4, b.ips, 8ull * nr);
      items.push_back(std::move(item));
    }
    return items;
  }
  int import_items(const std::vector<std::vector<uint8_t>>& items) override {
    for (const auto& item : items) {
      if (item.size() < 12 || (item.size() - 4) % 8 != 0 || (item.size() - 4) / 8 > depth_) {
        return -EINVAL;
      }
      uint32_t id;
      std::memcpy(&id, item.data(), 4);
      if (id >= n_buckets_) {
        return -EINVAL;
      }
      std::vector<uint64_t> ips((item.size() - 4) / 8);
      std::memcpy(ips.data(), item.data() + 4, item.size() - 4);
      Bucket& b = bucket(id);
      Guard g(b);
      words::store(&b.hash, words::hash(ips.data(), ips.size(), 0x5eed));
      for (size_t i = 0; i < ips.size(); ++i) {
        words::store(&b.ips[i], ips[i]);
      }
      b.nr.store(static_cast<uint32_t>(ips.size()), std::memory_order_relaxed);
    }
    return 0;
  }

 private:
  class Guard {
   public:
    explicit Guard(Bucket& b) : b_(b) { (void)spin_lock(&b_.lock); }
    ~Guard() { spin_unlock(&b_.lock); }

   private:
    Bucket& b_;
  };

  static uint32_t read_u32(const void* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }
  Bucket& bucket(uint32_t id) const { return *at<Bucket>(base_, kHeaderSize + stride(spec_) * id); }

  uint8_t* base_;
  uint32_t n_buckets_;
  uint32_t depth_;
};

int check_stack_trace(const MapSpec& spec, std::string* why) {
  auto refuse = [&](int err, const char* reason) {
    if (why != nullptr) {
      *why = reason;
    }
    return err;
  };
  if ((spec.flags & ~(kNumaNode | kRdonly | kWronly | kBuildId)) != 0) {
    return refuse(-EINVAL, "invalid flags for a stack trace map");
  }
  if (spec.max_entries == 0 || spec.key_size != 4 || spec.value_size < 8 || spec.value_size % 8 != 0) {
    return refuse(-EINVAL, "stack trace maps need key_size 4 and value_size a multiple of 8");
  }
  const uint32_t frame = (spec.flags & kBuildId) != 0 ? kBuildIdFrameSize : 8;
  if (spec.value_size % frame != 0 || spec.value_size / frame > kMaxStackDepth) {
    return refuse(-EINVAL, "stack trace values hold at most 127 frames of 8 bytes (32 with BPF_F_STACK_BUILD_ID)");
  }
  if (spec.max_entries > (1u << 31)) {
    return refuse(-E2BIG, "too many entries");
  }
  return 0;
}

Result<std::unique_ptr<Map>> attach_stack_trace(MapSpec spec, std::unique_ptr<Arena> arena, MapHost* host) {
  return std::unique_ptr<Map>(new StackTraceMap(std::move(spec), std::move(arena), host));
}

}  // namespace

const MapTypeOps kStackTraceOps{MapType::kStackTrace,      "stack_trace",     check_stack_trace, StackTraceMap::memory,
                                StackTraceMap::initialize, attach_stack_trace};

namespace stackmap {

long store(Map& map, std::span<const uint64_t> ips, uint64_t flags) {
  if (map.type() != MapType::kStackTrace) {
    return -EINVAL;
  }
  return static_cast<StackTraceMap&>(map).store(ips, flags);
}

}  // namespace stackmap

}  // namespace bpfrt
