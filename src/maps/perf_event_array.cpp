// BPF_MAP_TYPE_PERF_EVENT_ARRAY: one buffer per slot (normally per CPU), written by
// bpf_perf_event_output and read by a PerfBufferConsumer. In the kernel the slots hold perf event fds
// that userspace opens; here each slot owns a buffer of map_extra bytes (a power of two, default
// 32 KiB) and is "open" while its value is non-zero: a consumer sets every slot, and userspace updates
// may set or clear slots. Output to a closed slot fails with -ENOENT, as with no perf event.
//
// Records: {u32 size, u32 type} and the data, 8-byte aligned, in a byte ring per slot. Writers of a
// slot take its robust lock; a full buffer drops the sample and counts it as lost (reported to the
// consumer like PERF_RECORD_LOST).
#include <cerrno>
#include <cstring>
#include <vector>

#include "maps/map_base.hpp"
#include "maps/notifier.hpp"
#include "maps/robust_mutex.hpp"

namespace bpfrt {

int check_array_spec(const MapSpec& spec, std::string* why);

namespace {

constexpr uint64_t kDefaultBuffer = 32 * 1024;
constexpr uint64_t kIndexMask = 0xffffffffULL;
constexpr uint64_t kCurrentCpu = kIndexMask;
constexpr uint32_t kRdonly = 1u << 3, kWronly = 1u << 4;

struct alignas(64) PerfSlot {
  RobustMutex lock;
  std::atomic<uint64_t> head;  // bytes written
  std::atomic<uint64_t> tail;  // bytes consumed
  std::atomic<uint64_t> lost;
  std::atomic<uint32_t> value;
};

uint64_t buffer_size(const MapSpec& spec) {
  return spec.map_extra != 0 ? spec.map_extra : kDefaultBuffer;
}

class PerfEventArray final : public Map {
 public:
  static uint64_t slots_off() { return kHeaderSize; }
  static uint64_t buffers_off(const MapSpec& spec) {
    return round_up(slots_off() + sizeof(PerfSlot) * uint64_t{spec.max_entries}, 64);
  }
  static uint64_t memory(const MapSpec& spec, uint32_t) {
    return round_up(buffers_off(spec) + buffer_size(spec) * spec.max_entries, kPageSize);
  }
  static void initialize(uint8_t* base, const MapSpec& spec, uint32_t) {
    for (uint32_t i = 0; i < spec.max_entries; ++i) {
      at<PerfSlot>(base, slots_off() + sizeof(PerfSlot) * i)->lock.init();
    }
  }

  PerfEventArray(MapSpec spec, std::unique_ptr<Arena> arena, MapHost* host, std::unique_ptr<Notifier> notifier)
      : Map(std::move(spec), std::move(arena), host),
        base_(this->arena().base()),
        buf_size_(buffer_size(spec_)),
        notifier_(std::move(notifier)) {}

  PerfSlot& slot(uint32_t i) const { return *at<PerfSlot>(base_, slots_off() + sizeof(PerfSlot) * i); }
  uint8_t* buffer(uint32_t i) const { return base_ + buffers_off(spec_) + buf_size_ * i; }
  Notifier& notifier() { return *notifier_; }

  int do_lookup(const void*, void*, uint64_t) override { return -kENOTSUPP; }
  int do_update(const void* key, const void* value, uint64_t flags) override {
    if ((spec_.flags & kRdonly) != 0) {
      return -EPERM;
    }
    if (flags != kBpfAny) {
      return -EINVAL;
    }
    const uint32_t index = read_u32(key);
    if (index >= spec_.max_entries) {
      return -E2BIG;
    }
    const uint32_t v = read_u32(value);
    if (v == 0) {
      return -EBADF;  // not an open perf event
    }
    slot(index).value.store(v, std::memory_order_release);
    return 0;
  }
  int do_erase(const void* key) override {
    if ((spec_.flags & kRdonly) != 0) {
      return -EPERM;
    }
    const uint32_t index = read_u32(key);
    if (index >= spec_.max_entries) {
      return -E2BIG;
    }
    return slot(index).value.exchange(0) == 0 ? -ENOENT : 0;
  }
  int do_lookup_and_delete(const void*, void*, uint64_t) override { return -kENOTSUPP; }
  int do_get_next_key(const void* key, void* next_key) override {
    if ((spec_.flags & kWronly) != 0) {
      return -EPERM;
    }
    const uint32_t index = key == nullptr ? UINT32_MAX : read_u32(key);
    uint32_t next = 0;
    if (index < spec_.max_entries) {
      if (index == spec_.max_entries - 1) {
        return -ENOENT;
      }
      next = index + 1;
    }
    std::memcpy(next_key, &next, 4);
    return 0;
  }
  int lookup_batch(uint64_t*, void*, void*, uint32_t, bool*) override { return -kENOTSUPP; }
  int lookup_and_delete_batch(uint64_t*, void*, void*, uint32_t, bool*) override { return -kENOTSUPP; }
  long prog_update(const void*, const void*, uint64_t) override { return -EINVAL; }
  long prog_delete(const void*) override { return -EINVAL; }
  uint32_t handle_at(uint32_t index) const override {
    return index < spec_.max_entries ? slot(index).value.load(std::memory_order_acquire) : 0;
  }

  long output(uint64_t flags, const void* data, uint64_t size) {
    if ((flags & ~kIndexMask) != 0) {
      return -EINVAL;
    }
    uint64_t index = flags & kIndexMask;
    if (index == kCurrentCpu) {
      index = current_cpu();
    }
    if (index >= spec_.max_entries) {
      return -E2BIG;
    }
    PerfSlot& s = slot(static_cast<uint32_t>(index));
    if (s.value.load(std::memory_order_acquire) == 0) {
      return -ENOENT;
    }
    const uint64_t need = round_up(size + 8, 8);
    if (need > buf_size_ / 2) {
      return -E2BIG;
    }
    uint8_t* buf = buffer(static_cast<uint32_t>(index));
    bool was_empty = false;
    {
      RobustLock lock(s.lock);  // a dead writer never published its head: nothing to repair
      const uint64_t head = s.head.load(std::memory_order_relaxed);
      const uint64_t tail = s.tail.load(std::memory_order_acquire);
      if (head - tail + need > buf_size_) {
        s.lost.fetch_add(1, std::memory_order_relaxed);
        return -ENOSPC;
      }
      const uint32_t hdr[2] = {static_cast<uint32_t>(size), 9 /* PERF_RECORD_SAMPLE */};
      copy_in(buf, head, hdr, sizeof(hdr));
      copy_in(buf, head + 8, data, size);
      s.head.store(head + need, std::memory_order_release);
      was_empty = head == tail;
    }
    if (was_empty) {
      notifier_->signal();
    }
    return 0;
  }

  void copy_in(uint8_t* buf, uint64_t pos, const void* src, uint64_t n) const {
    const uint64_t off = pos % buf_size_;
    const uint64_t first = std::min(n, buf_size_ - off);
    std::memcpy(buf + off, src, first);
    std::memcpy(buf, static_cast<const uint8_t*>(src) + first, n - first);
  }
  void copy_out(void* dst, const uint8_t* buf, uint64_t pos, uint64_t n) const {
    const uint64_t off = pos % buf_size_;
    const uint64_t first = std::min(n, buf_size_ - off);
    std::memcpy(dst, buf + off, first);
    std::memcpy(static_cast<uint8_t*>(dst) + first, buf, n - first);
  }

 private:
  static uint32_t read_u32(const void* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }

  uint8_t* base_;
  uint64_t buf_size_;
  std::unique_ptr<Notifier> notifier_;
};

int check_perf(const MapSpec& spec, std::string* why) {
  const uint64_t size = buffer_size(spec);
  if (size < kPageSize || size > (uint64_t{1} << 30) || (size & (size - 1)) != 0) {
    if (why != nullptr) {
      *why = "a perf event array's buffer size (map_extra) must be a power of two from 4 KiB to 1 GiB";
    }
    return -EINVAL;
  }
  MapSpec plain = spec;
  plain.map_extra = 0;
  return check_array_spec(plain, why);
}

Result<std::unique_ptr<Map>> attach_perf(MapSpec spec, std::unique_ptr<Arena> arena, MapHost* host) {
  auto notifier = Notifier::open(arena->name(), true);
  if (!notifier) {
    return notifier.take_error();
  }
  return std::unique_ptr<Map>(new PerfEventArray(std::move(spec), std::move(arena), host, std::move(*notifier)));
}

}  // namespace

const MapTypeOps kPerfEventArrayOps{MapType::kPerfEventArray, "perf_event_array",         check_perf,
                                    PerfEventArray::memory,   PerfEventArray::initialize, attach_perf};

namespace perfbuf {

long output(Map& map, uint64_t flags, const void* data, uint64_t size) {
  if (map.type() != MapType::kPerfEventArray) {
    return -EINVAL;
  }
  if (auto* own = dynamic_cast<PerfEventArray*>(&map)) {
    return own->output(flags, data, size);
  }
  return map.perf_output(flags, data, size);
}

}  // namespace perfbuf

struct PerfBufferConsumer::Impl {
  std::shared_ptr<Map> map;
  PerfEventArray* pa = nullptr;
  std::vector<uint8_t> scratch;
};

PerfBufferConsumer::PerfBufferConsumer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

PerfBufferConsumer::~PerfBufferConsumer() {
  if (!impl_) {
    return;
  }
  const uint32_t me = current_pid();
  for (uint32_t i = 0; i < impl_->map->max_entries(); ++i) {
    uint32_t expected = me;
    impl_->pa->slot(i).value.compare_exchange_strong(expected, 0);
  }
}

Result<std::unique_ptr<PerfBufferConsumer>> PerfBufferConsumer::create(std::shared_ptr<Map> map) {
  if (!map || map->type() != MapType::kPerfEventArray) {
    return make_error(ErrorCode::kInvalidArgument, "a perf buffer consumer needs a perf_event_array map");
  }
  auto impl = std::make_unique<Impl>();
  impl->pa = dynamic_cast<PerfEventArray*>(map.get());
  if (impl->pa == nullptr) {
    return make_error(ErrorCode::kUnsupported,
                      "perf_event_array map '" + map->spec().name +
                          "' is a kernel map: read it with a kernel perf buffer (libbpf perf_buffer__new on its fd)");
  }
  impl->map = std::move(map);
  BPFRT_TRY(impl->pa->notifier().consumer_fd());
  // Open every slot, as libbpf's perf_buffer__new puts a perf event in each CPU's slot.
  for (uint32_t i = 0; i < impl->map->max_entries(); ++i) {
    impl->pa->slot(i).value.store(current_pid(), std::memory_order_release);
  }
  return std::unique_ptr<PerfBufferConsumer>(new PerfBufferConsumer(std::move(impl)));
}

int PerfBufferConsumer::consume(const SampleFn& sample, const LostFn& lost) {
  impl_->pa->notifier().drain();
  int count = 0;
  PerfEventArray& pa = *impl_->pa;
  for (uint32_t i = 0; i < pa.max_entries(); ++i) {
    PerfSlot& s = pa.slot(i);
    const uint64_t dropped = s.lost.exchange(0, std::memory_order_relaxed);
    if (dropped != 0 && lost) {
      lost(i, dropped);
    }
    uint64_t tail = s.tail.load(std::memory_order_relaxed);
    const uint64_t head = s.head.load(std::memory_order_acquire);
    while (tail + 8 <= head) {
      uint32_t hdr[2];
      pa.copy_out(hdr, pa.buffer(i), tail, sizeof(hdr));
      const uint64_t total = round_up(uint64_t{hdr[0]} + 8, 8);
      if (total > head - tail) {
        tail = head;  // corrupt: skip to the writer
        break;
      }
      impl_->scratch.resize(hdr[0]);
      pa.copy_out(impl_->scratch.data(), pa.buffer(i), tail + 8, hdr[0]);
      tail += total;
      s.tail.store(tail, std::memory_order_release);
      ++count;
      if (sample) {
        sample(i, impl_->scratch);
      }
    }
    s.tail.store(tail, std::memory_order_release);
  }
  return count;
}

Result<int> PerfBufferConsumer::poll(int timeout_ms, const SampleFn& sample, const LostFn& lost) {
  const int n = consume(sample, lost);
  if (n > 0) {
    return n;
  }
  auto woke = impl_->pa->notifier().wait(timeout_ms);
  if (!woke) {
    return woke.take_error();
  }
  return consume(sample, lost);
}

int PerfBufferConsumer::fd() const {
  auto fd = impl_->pa->notifier().consumer_fd();
  return fd ? *fd : -1;
}

}  // namespace bpfrt
