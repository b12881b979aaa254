// BPF_MAP_TYPE_RINGBUF: the kernel's multi-producer, single-consumer ring. Records are an 8-byte
// header {u32 length | busy | discard, u32 producer thread} and the data, rounded to 8 bytes. The data
// pages are mapped twice in a row, so a reservation that wraps is still contiguous for the program.
//
// Producers reserve under a robust lock (header written before the producer position is published)
// and commit by clearing the busy bit, lock-free. The consumer walks from its position to the
// producer position, stopping at a busy record; a busy record whose producer thread no longer exists
// (killed mid-program) is skipped, so a dead producer cannot block the ring. Consumers are woken
// through the map's Notifier when they had caught up, as the kernel decides its wake-ups.
#include <cerrno>
#include <cstring>
#include <mutex>

#include "maps/map_base.hpp"
#include "maps/notifier.hpp"
#include "maps/robust_mutex.hpp"

namespace bpfrt {
namespace {

constexpr uint32_t kNumaNode = 1u << 2;
constexpr uint32_t kBusy = 1u << 31;
constexpr uint32_t kDiscard = 1u << 30;
constexpr uint32_t kLenMask = kDiscard - 1;
constexpr uint64_t kNoWakeup = 1, kForceWakeup = 2;
constexpr uint64_t kHdrSize = 8;

struct RingHeader {
  RobustMutex producer_lock;
  alignas(64) std::atomic<uint64_t> consumer_pos;
  alignas(64) std::atomic<uint64_t> producer_pos;
  std::atomic<uint32_t> consumers;
};

uint64_t data_off() {
  return round_up(kHeaderSize + sizeof(RingHeader), kPageSize);
}

class RingBuffer;

// The ring buffers open in this process, to find the ring a committed record belongs to.
constexpr size_t kMaxRings = 1024;
std::atomic<RingBuffer*> g_rings[kMaxRings];
std::mutex g_rings_mutex;

class RingBuffer final : public Map {
 public:
  static uint64_t memory(const MapSpec& spec, uint32_t) { return data_off() + spec.max_entries; }
  static void initialize(uint8_t* base, const MapSpec&, uint32_t) {
    at<RingHeader>(base, kHeaderSize)->producer_lock.init();
  }

  RingBuffer(MapSpec spec, std::unique_ptr<Arena> arena, MapHost* host, std::unique_ptr<Notifier> notifier)
      : Map(std::move(spec), std::move(arena), host),
        rb_(at<RingHeader>(this->arena().base(), kHeaderSize)),
        data_(this->arena().base() + data_off()),
        size_(spec_.max_entries),
        mask_(spec_.max_entries - 1),
        notifier_(std::move(notifier)) {
    add_region(data_, 2 * size_, true);
    std::lock_guard<std::mutex> lock(g_rings_mutex);
    for (auto& slot : g_rings) {
      RingBuffer* expected = nullptr;
      if (slot.compare_exchange_strong(expected, this)) {
        registered_ = &slot;
        break;
      }
    }
  }
  ~RingBuffer() override {
    if (registered_ != nullptr) {
      registered_->store(nullptr);
    }
  }

  static RingBuffer* owning(const uint8_t* hdr) {
    for (auto& slot : g_rings) {
      RingBuffer* rb = slot.load(std::memory_order_acquire);
      if (rb != nullptr && hdr >= rb->data_ && hdr < rb->data_ + rb->size_) {
        return rb;
      }
    }
    return nullptr;
  }

  int lookup_batch(uint64_t*, void*, void*, uint32_t, bool*) override { return -kENOTSUPP; }
  int lookup_and_delete_batch(uint64_t*, void*, void*, uint32_t, bool*) override { return -kENOTSUPP; }

  void* reserve(uint64_t size, uint64_t flags) {
    if (flags != 0 || size > kLenMask || size + kHdrSize > size_) {
      return nullptr;
    }
    const uint64_t len = round_up(size + kHdrSize, 8);
    RobustLock lock(rb_->producer_lock);  // nothing to repair: a header is written before it is published
    const uint64_t cons = rb_->consumer_pos.load(std::memory_order_acquire);
    const uint64_t prod = rb_->producer_pos.load(std::memory_order_relaxed);
    if (prod + len - cons > mask_) {
      return nullptr;
    }
    uint8_t* hdr = data_ + (prod & mask_);
    __atomic_store_n(reinterpret_cast<uint32_t*>(hdr + 4), current_tid(), __ATOMIC_RELAXED);
    __atomic_store_n(reinterpret_cast<uint32_t*>(hdr), static_cast<uint32_t>(size) | kBusy, __ATOMIC_RELAXED);
    rb_->producer_pos.store(prod + len, std::memory_order_release);
    return hdr + kHdrSize;
  }

  bool commit(uint8_t* hdr, uint64_t flags, bool discard) {
    if ((hdr - data_) % 8 != 0) {
      return false;
    }
    auto* len_word = reinterpret_cast<uint32_t*>(hdr);
    uint32_t len = __atomic_load_n(len_word, __ATOMIC_RELAXED);
    if ((len & kBusy) == 0) {
      return false;
    }
    len &= ~kBusy;
    if (discard) {
      len |= kDiscard;
    }
    __atomic_store_n(len_word, len, __ATOMIC_RELEASE);
    const uint64_t rec_pos = static_cast<uint64_t>(hdr - data_);
    const uint64_t cons = rb_->consumer_pos.load(std::memory_order_acquire) & mask_;
    if ((flags & kForceWakeup) != 0 || (cons == rec_pos && (flags & kNoWakeup) == 0)) {
      wake();
    }
    return true;
  }

  long output(const void* data, uint64_t size, uint64_t flags) {
    if ((flags & ~(kNoWakeup | kForceWakeup)) != 0) {
      return -EINVAL;
    }
    void* rec = reserve(size, 0);
    if (rec == nullptr) {
      return -EAGAIN;
    }
    std::memcpy(rec, data, size);
    commit(static_cast<uint8_t*>(rec) - kHdrSize, flags, false);
    return 0;
  }

  uint64_t query(uint64_t flags) const {
    const uint64_t cons = rb_->consumer_pos.load(std::memory_order_acquire);
    const uint64_t prod = rb_->producer_pos.load(std::memory_order_acquire);
    switch (flags) {
      case 0:  // BPF_RB_AVAIL_DATA
        return prod - cons;
      case 1:  // BPF_RB_RING_SIZE
        return size_;
      case 2:  // BPF_RB_CONS_POS
        return cons;
      case 3:  // BPF_RB_PROD_POS
        return prod;
      default:
        return 0;
    }
  }

  // Visits committed records from the consumer position; `advance` moves the consumer past them.
  template <class F>
  int walk(F&& fn, bool advance) {
    uint64_t cons = rb_->consumer_pos.load(std::memory_order_acquire);
    int count = 0;
    while (true) {
      const uint64_t prod = rb_->producer_pos.load(std::memory_order_acquire);
      if (cons >= prod) {
        break;
      }
      uint8_t* hdr = data_ + (cons & mask_);
      uint32_t len = __atomic_load_n(reinterpret_cast<uint32_t*>(hdr), __ATOMIC_ACQUIRE);
      if ((len & kBusy) != 0) {
        const uint32_t owner = __atomic_load_n(reinterpret_cast<uint32_t*>(hdr + 4), __ATOMIC_RELAXED);
        if (process_alive(owner)) {
          break;  // still being written
        }
        len = (len & ~kBusy) | kDiscard;  // its producer died: skip it
      }
      const uint64_t total = round_up((len & kLenMask) + kHdrSize, 8);
      if ((len & kLenMask) + kHdrSize > size_ || total > prod - cons) {
        // A corrupt header: drop everything up to the producer rather than read garbage.
        cons = prod;
        if (advance) {
          rb_->consumer_pos.store(cons, std::memory_order_release);
        }
        break;
      }
      bool stop = false;
      if ((len & kDiscard) == 0) {
        ++count;
        stop = fn(std::span<const uint8_t>(hdr + kHdrSize, len & kLenMask)) != 0;
      }
      cons += total;
      if (advance) {
        rb_->consumer_pos.store(cons, std::memory_order_release);
      }
      if (stop) {
        break;
      }
    }
    return count;
  }

  std::vector<std::vector<uint8_t>> export_items() const override {
    std::vector<std::vector<uint8_t>> items;
    const_cast<RingBuffer*>(this)->walk(
        [&](std::span<const uint8_t> rec) {
          items.emplace_back(rec.begin(), rec.end());
          return 0;
        },
        false);
    return items;
  }
  int import_items(const std::vector<std::vector<uint8_t>>& items) override {
    for (const auto& rec : items) {
      if (const long rc = output(rec.data(), rec.size(), kNoWakeup); rc != 0) {
        return static_cast<int>(rc);
      }
    }
    return 0;
  }

  RingHeader& header() { return *rb_; }
  Notifier& notifier() { return *notifier_; }

 private:
  void wake() {
    if (rb_->consumers.load(std::memory_order_relaxed) != 0) {
      notifier_->signal();
    }
  }

  RingHeader* rb_;
  uint8_t* data_;
  uint64_t size_;
  uint64_t mask_;
  std::unique_ptr<Notifier> notifier_;
  std::atomic<RingBuffer*>* registered_ = nullptr;
};

int check_ringbuf(const MapSpec& spec, std::string* why) {
  if ((spec.flags & ~kNumaNode) != 0 || spec.key_size != 0 || spec.value_size != 0 || spec.max_entries == 0 ||
      (spec.max_entries & (spec.max_entries - 1)) != 0 || spec.max_entries % kPageSize != 0) {
    if (why != nullptr) {
      *why = "ring buffers need key_size 0, value_size 0 and max_entries a power-of-2 multiple of the page size";
    }
    return -EINVAL;
  }
  return 0;
}

Result<std::unique_ptr<Map>> attach_ringbuf(MapSpec spec, std::unique_ptr<Arena> arena, MapHost* host) {
  BPFRT_TRY(arena->mirror_tail(data_off()));
  auto notifier = Notifier::open(arena->name(), true);
  if (!notifier) {
    return notifier.take_error();
  }
  return std::unique_ptr<Map>(new RingBuffer(std::move(spec), std::move(arena), host, std::move(*notifier)));
}

}  // namespace

const MapTypeOps kRingbufOps{MapType::kRingbuf,      "ringbuf",     check_ringbuf, RingBuffer::memory,
                             RingBuffer::initialize, attach_ringbuf};

namespace ringbuf {

void* reserve(Map& map, uint64_t size, uint64_t flags) {
  if (map.type() != MapType::kRingbuf) {
    return nullptr;
  }
  return static_cast<RingBuffer&>(map).reserve(size, flags);
}

bool commit(void* data, uint64_t flags, bool discard) {
  auto* hdr = static_cast<uint8_t*>(data) - kHdrSize;
  RingBuffer* rb = RingBuffer::owning(hdr);
  return rb != nullptr && rb->commit(hdr, flags, discard);
}

long output(Map& map, const void* data, uint64_t size, uint64_t flags) {
  if (map.type() != MapType::kRingbuf) {
    return -EINVAL;
  }
  return static_cast<RingBuffer&>(map).output(data, size, flags);
}

uint64_t query(Map& map, uint64_t flags) {
  if (map.type() != MapType::kRingbuf) {
    return 0;
  }
  return static_cast<RingBuffer&>(map).query(flags);
}

}  // namespace ringbuf

// ---- consumer ----

struct RingBufferConsumer::Impl {
  std::shared_ptr<Map> map;
  RingBuffer* rb = nullptr;
};

RingBufferConsumer::RingBufferConsumer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RingBufferConsumer::~RingBufferConsumer() {
  if (impl_) {
    impl_->rb->header().consumers.fetch_sub(1, std::memory_order_relaxed);
  }
}

Result<std::unique_ptr<RingBufferConsumer>> RingBufferConsumer::create(std::shared_ptr<Map> map) {
  if (!map || map->type() != MapType::kRingbuf) {
    return make_error(ErrorCode::kInvalidArgument, "a ring buffer consumer needs a ringbuf map");
  }
  auto impl = std::make_unique<Impl>();
  impl->rb = static_cast<RingBuffer*>(map.get());
  impl->map = std::move(map);
  BPFRT_TRY(impl->rb->notifier().consumer_fd());
  impl->rb->header().consumers.fetch_add(1, std::memory_order_relaxed);
  return std::unique_ptr<RingBufferConsumer>(new RingBufferConsumer(std::move(impl)));
}

int RingBufferConsumer::consume(const Callback& fn) {
  impl_->rb->notifier().drain();
  return impl_->rb->walk(fn, true);
}

Result<int> RingBufferConsumer::poll(int timeout_ms, const Callback& fn) {
  const int n = consume(fn);
  if (n > 0) {
    return n;
  }
  auto woke = impl_->rb->notifier().wait(timeout_ms);
  if (!woke) {
    return woke.take_error();
  }
  return consume(fn);
}

int RingBufferConsumer::fd() const {
  auto fd = impl_->rb->notifier().consumer_fd();
  return fd ? *fd : -1;
}

}  // namespace bpfrt
