// BPF_MAP_TYPE_BLOOM_FILTER: a bit array sized as the kernel sizes it (max_entries x hashes / ln 2,
// rounded up to a power of two), set with atomic ORs, so it needs no lock at all. map_extra's low four
// bits give the number of hash functions (default 5).
#include <cerrno>
#include <cstring>

#include "maps/map_base.hpp"
#include "maps/shared_words.hpp"

namespace bpfrt {
namespace {

constexpr uint32_t kNumaNode = 1u << 2, kZeroSeed = 1u << 6;
constexpr uint32_t kRdonly = 1u << 3, kWronly = 1u << 4;

struct BloomShape {
  uint32_t hashes;
  uint64_t bits;  // a power of two
};

BloomShape shape(const MapSpec& spec) {
  BloomShape s{static_cast<uint32_t>(spec.map_extra & 0xf), 0};
  if (s.hashes == 0) {
    s.hashes = 5;
  }
  const uint64_t n = uint64_t{spec.max_entries} * s.hashes / 5 * 7;
  if (n > (uint64_t{1} << 31)) {
    s.bits = uint64_t{1} << 32;
  } else {
    s.bits = n <= 64 ? 64 : roundup_pow2(n);
  }
  return s;
}

class BloomFilter final : public Map {
 public:
  static uint64_t memory(const MapSpec& spec, uint32_t) {
    return round_up(kHeaderSize + shape(spec).bits / 8, kPageSize);
  }
  static void initialize(uint8_t*, const MapSpec&, uint32_t) {}

  BloomFilter(MapSpec spec, std::unique_ptr<Arena> arena, MapHost* host)
      : Map(std::move(spec), std::move(arena), host),
        shape_(shape(spec_)),
        bits_(reinterpret_cast<uint64_t*>(this->arena().base() + kHeaderSize)),
        seed_(map_header(this->arena().base())->seed) {}

  int do_lookup(const void* key, void* value, uint64_t flags) override {
    if (key != nullptr || flags != 0) {
      return -EINVAL;
    }
    if ((spec_.flags & kWronly) != 0) {
      return -EPERM;
    }
    return static_cast<int>(peek(value));
  }
  int do_update(const void* key, const void* value, uint64_t flags) override {
    if (key != nullptr) {
      return -EINVAL;
    }
    if ((spec_.flags & kRdonly) != 0) {
      return -EPERM;
    }
    return static_cast<int>(push(value, flags));
  }
  int do_erase(const void*) override { return -EOPNOTSUPP; }
  int do_get_next_key(const void*, void*) override { return -EOPNOTSUPP; }
  int lookup_batch(uint64_t*, void*, void*, uint32_t, bool*) override { return -kENOTSUPP; }
  int lookup_and_delete_batch(uint64_t*, void*, void*, uint32_t, bool*) override { return -kENOTSUPP; }

  long prog_update(const void*, const void*, uint64_t) override { return -EOPNOTSUPP; }
  long prog_delete(const void*) override { return -EOPNOTSUPP; }

  long push(const void* value, uint64_t flags) override {
    if (flags != kBpfAny) {
      return -EINVAL;
    }
    for (uint32_t i = 0; i < shape_.hashes; ++i) {
      const uint64_t bit = bit_of(value, i);
      __atomic_fetch_or(&bits_[bit / 64], uint64_t{1} << (bit % 64), __ATOMIC_RELAXED);
    }
    return 0;
  }
  long peek(void* value) override {
    for (uint32_t i = 0; i < shape_.hashes; ++i) {
      const uint64_t bit = bit_of(value, i);
      if ((words::load(&bits_[bit / 64]) & (uint64_t{1} << (bit % 64))) == 0) {
        return -ENOENT;
      }
    }
    return 0;
  }
  long pop(void*) override { return -EOPNOTSUPP; }

  std::vector<std::vector<uint8_t>> export_items() const override {
    std::vector<uint8_t> bytes(shape_.bits / 8);
    words::get(bytes.data(), bits_, bytes.size());
    return {std::move(bytes)};
  }
  int import_items(const std::vector<std::vector<uint8_t>>& items) override {
    if (items.size() != 1 || items[0].size() != shape_.bits / 8) {
      return -EINVAL;
    }
    for (size_t w = 0; w < items[0].size() / 8; ++w) {
      uint64_t v;
      std::memcpy(&v, items[0].data() + w * 8, 8);
      __atomic_fetch_or(&bits_[w], v, __ATOMIC_RELAXED);
    }
    return 0;
  }

 private:
  uint64_t bit_of(const void* value, uint32_t i) const {
    uint64_t buf[64];
    const size_t nwords = words::count(spec_.value_size);
    const uint64_t* w;
    std::unique_ptr<uint64_t[]> heap;
    if (nwords <= 64) {
      words::gather(buf, value, spec_.value_size);
      w = buf;
    } else {
      heap = std::make_unique<uint64_t[]>(nwords);
      words::gather(heap.get(), value, spec_.value_size);
      w = heap.get();
    }
    return words::hash(w, nwords, seed_ + i) & (shape_.bits - 1);
  }

  BloomShape shape_;
  uint64_t* bits_;
  uint64_t seed_;
};

int check_bloom(const MapSpec& spec, std::string* why) {
  if (spec.key_size != 0 || spec.value_size == 0 || spec.max_entries == 0 ||
      (spec.flags & ~(kNumaNode | kZeroSeed | kAccessMask)) != 0 || !flags_access_ok(spec.flags) ||
      (spec.map_extra & ~uint64_t{0xf}) != 0) {
    if (why != nullptr) {
      *why = "bloom filters need key_size 0, value_size > 0, max_entries > 0, valid flags and map_extra < 16";
    }
    return -EINVAL;
  }
  return 0;
}

Result<std::unique_ptr<Map>> attach_bloom(MapSpec spec, std::unique_ptr<Arena> arena, MapHost* host) {
  return std::unique_ptr<Map>(new BloomFilter(std::move(spec), std::move(arena), host));
}

}  // namespace

const MapTypeOps kBloomFilterOps{MapType::kBloomFilter, "bloom_filter",          check_bloom,
                                 BloomFilter::memory,   BloomFilter::initialize, attach_bloom};

}  // namespace bpfrt
