// BPF_MAP_TYPE_QUEUE and BPF_MAP_TYPE_STACK: a ring of max_entries + 1 value slots under one robust
// lock. push with BPF_EXIST makes room by dropping the oldest element, as the kernel does. Every
// update is a copy followed by one index store, so a holder that dies leaves at worst one element
// lost; the next holder has nothing to repair.
#include <cerrno>
#include <cstring>

#include "maps/map_base.hpp"
#include "maps/robust_mutex.hpp"
#include "maps/shared_words.hpp"

namespace bpfrt {
namespace {

constexpr uint32_t kNumaNode = 1u << 2;
constexpr uint32_t kRdonly = 1u << 3, kWronly = 1u << 4;

struct QueueHeader {
  RobustMutex mutex;
  uint32_t head;  // next slot to write
  uint32_t tail;  // oldest element
};

class QueueStackMap final : public Map {
 public:
  static uint64_t values_off() { return round_up(kHeaderSize + sizeof(QueueHeader), 64); }
  static uint64_t memory(const MapSpec& spec, uint32_t) {
    return round_up(values_off() + uint64_t{round8(spec.value_size)} * (uint64_t{spec.max_entries} + 1), kPageSize);
  }
  static void initialize(uint8_t* base, const MapSpec&, uint32_t) { at<QueueHeader>(base, kHeaderSize)->mutex.init(); }

  QueueStackMap(MapSpec spec, std::unique_ptr<Arena> arena, MapHost* host)
      : Map(std::move(spec), std::move(arena), host),
        q_(at<QueueHeader>(this->arena().base(), kHeaderSize)),
        values_(this->arena().base() + values_off()),
        size_(spec_.max_entries + 1),
        stride_(round8(spec_.value_size)),
        stack_(spec_.type == MapType::kStack) {}

  int do_lookup(const void* key, void* value, uint64_t flags) override {
    if (key != nullptr || flags != 0) {
      return -EINVAL;
    }
    if ((spec_.flags & kWronly) != 0) {
      return -EPERM;
    }
    return static_cast<int>(get(value, false));
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
  int do_erase(const void*) override { return -EINVAL; }
  int do_get_next_key(const void*, void*) override { return -EINVAL; }
  int do_lookup_and_delete(const void* key, void* value, uint64_t flags) override {
    if (key != nullptr || flags != 0) {
      return -EINVAL;
    }
    if ((spec_.flags & (kRdonly | kWronly)) != 0) {
      return -EPERM;
    }
    return static_cast<int>(get(value, true));
  }
  int lookup_batch(uint64_t*, void*, void*, uint32_t, bool*) override { return -kENOTSUPP; }
  int lookup_and_delete_batch(uint64_t*, void*, void*, uint32_t, bool*) override { return -kENOTSUPP; }

  long prog_update(const void*, const void*, uint64_t) override { return -EINVAL; }
  long prog_delete(const void*) override { return -EINVAL; }

  long push(const void* value, uint64_t flags) override {
    if ((flags & kBpfNoexist) != 0 || flags > kBpfExist) {
      return -EINVAL;
    }
    RobustLock lock(q_->mutex);
    uint32_t head = q_->head % size_;
    uint32_t tail = q_->tail % size_;
    if ((head + 1) % size_ == tail) {
      if ((flags & kBpfExist) == 0) {
        return -E2BIG;
      }
      tail = (tail + 1) % size_;  // drop the oldest
      q_->tail = tail;
    }
    words::put(slot(head), value, spec_.value_size);
    q_->head = (head + 1) % size_;
    return 0;
  }
  long pop(void* value) override { return get(value, true); }
  long peek(void* value) override { return get(value, false); }

  std::vector<std::vector<uint8_t>> export_items() const override {
    RobustLock lock(q_->mutex);
    std::vector<std::vector<uint8_t>> items;
    for (uint32_t i = q_->tail % size_; i != q_->head % size_; i = (i + 1) % size_) {
      std::vector<uint8_t> v(spec_.value_size);
      words::get(v.data(), slot(i), spec_.value_size);
      items.push_back(std::move(v));
    }
    return items;
  }
  int import_items(const std::vector<std::vector<uint8_t>>& items) override {
    for (const auto& v : items) {
      if (v.size() != spec_.value_size) {
        return -EINVAL;
      }
      if (const long rc = push(v.data(), kBpfAny); rc != 0) {
        return static_cast<int>(rc);
      }
    }
    return 0;
  }

 private:
  uint64_t* slot(uint32_t i) const { return reinterpret_cast<uint64_t*>(values_ + uint64_t{i} * stride_); }

  long get(void* value, bool remove) {
    RobustLock lock(q_->mutex);
    const uint32_t head = q_->head % size_;
    const uint32_t tail = q_->tail % size_;
    if (head == tail) {
      std::memset(value, 0, spec_.value_size);
      return -ENOENT;
    }
    // A queue hands out its oldest element, a stack its newest.
    const uint32_t index = stack_ ? (head + size_ - 1) % size_ : tail;
    words::get(value, slot(index), spec_.value_size);
    if (remove) {
      if (stack_) {
        q_->head = index;
      } else {
        q_->tail = (tail + 1) % size_;
      }
    }
    return 0;
  }

  QueueHeader* q_;
  uint8_t* values_;
  uint32_t size_;
  uint32_t stride_;
  bool stack_;
};

int check_queue(const MapSpec& spec, std::string* why) {
  if (spec.max_entries == 0 || spec.key_size != 0 || spec.value_size == 0 ||
      (spec.flags & ~(kNumaNode | kAccessMask)) != 0 || !flags_access_ok(spec.flags)) {
    if (why != nullptr) {
      *why = "queues and stacks need key_size 0, value_size > 0, max_entries > 0 and valid flags";
    }
    return -EINVAL;
  }
  if (spec.value_size > kKmallocMaxSize) {
    if (why != nullptr) {
      *why = "value_size is too large";
    }
    return -E2BIG;
  }
  return 0;
}

Result<std::unique_ptr<Map>> attach_queue(MapSpec spec, std::unique_ptr<Arena> arena, MapHost* host) {
  return std::unique_ptr<Map>(new QueueStackMap(std::move(spec), std::move(arena), host));
}

}  // namespace

const MapTypeOps kQueueMapOps{MapType::kQueue,           "queue",     check_queue, QueueStackMap::memory,
                              QueueStackMap::initialize, attach_queue};
const MapTypeOps kStackMapOps{MapType::kStack,           "stack",     check_queue, QueueStackMap::memory,
                              QueueStackMap::initialize, attach_queue};

}  // namespace bpfrt
