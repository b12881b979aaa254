#include "maps/hash_map.hpp"

#include <cerrno>
#include <cstring>
#include <vector>

#include "maps/shared_words.hpp"

namespace bpfrt {

using namespace hash_state;

namespace {

constexpr uint32_t kMaxStripes = 1024;
constexpr int kOptimisticReads = 32;

constexpr uint32_t kNoPrealloc = 1u << 0, kNoCommonLru = 1u << 1, kNumaNode = 1u << 2, kZeroSeed = 1u << 6;
constexpr uint32_t kRdonly = 1u << 3, kWronly = 1u << 4, kRdonlyProg = 1u << 7, kWronlyProg = 1u << 8;

bool type_is_lru(MapType t) {
  return t == MapType::kLruHash || t == MapType::kLruPercpuHash;
}
bool type_is_percpu(MapType t) {
  return t == MapType::kPercpuHash || t == MapType::kLruPercpuHash;
}

}  // namespace

HashMap::Layout HashMap::layout(const MapSpec& spec, uint32_t ncpus) {
  Layout l;
  l.percpu = type_is_percpu(spec.type);
  l.lru = type_is_lru(spec.type);
  const uint64_t buckets = roundup_pow2(spec.max_entries);
  l.n_buckets = static_cast<uint32_t>(std::min<uint64_t>(buckets, uint64_t{1} << 31));
  l.n_stripes = std::min(l.n_buckets, kMaxStripes);
  l.n_main = ncpus;
  l.n_lists = ncpus;
  l.pool = spec.max_entries;
  l.spares = !l.percpu && !l.lru;
  l.total = spec.max_entries + (l.spares ? l.n_stripes : 0);
  l.key_words = static_cast<uint32_t>(words::count(spec.key_size));
  l.elem_stride = 16 + 8 * l.key_words;
  l.value_stride = round8(spec.value_size);
  uint64_t off = kHeaderSize;
  l.stripes_off = off;
  off += uint64_t{64} * l.n_stripes;
  l.buckets_off = off;
  off = round_up(off + uint64_t{8} * l.n_buckets, 64);
  l.lists_off = off;
  off += uint64_t{64} * l.n_lists;
  l.elems_off = off;
  off = round_up(off + uint64_t{l.elem_stride} * l.total, 64);
  l.values_off = off;
  off += uint64_t{l.value_stride} * l.total * (l.percpu ? ncpus : 1);
  l.size = round_up(off, kPageSize);
  return l;
}

void HashMap::initialize(uint8_t* base, const MapSpec& spec, uint32_t ncpus) {
  const Layout l = layout(spec, ncpus);
  for (uint32_t s = 0; s < l.n_stripes; ++s) {
    auto* stripe = at<Stripe>(base, l.stripes_off + 64ull * s);
    stripe->mutex.init();
    if (l.spares) {
      // Element pool + s is stripe s's spare.
      stripe->spare = l.pool + s + 1;
      at<Elem>(base, l.elems_off + uint64_t{l.elem_stride} * (l.pool + s))
          ->state.store(kFree | kSpareTag | s, std::memory_order_relaxed);
    }
  }
  for (uint32_t i = 0; i < l.n_lists; ++i) {
    at<FreeList>(base, l.lists_off + 64ull * i)->mutex.init();
  }
  // Elements 0..pool-1 are spread over the per-CPU free lists.
  for (uint32_t i = l.pool; i-- > 0;) {
    const uint32_t list = i % l.n_main;
    auto* e = at<Elem>(base, l.elems_off + uint64_t{l.elem_stride} * i);
    auto* fl = at<FreeList>(base, l.lists_off + 64ull * list);
    e->state.store(kFree | list, std::memory_order_relaxed);
    e->next.store(fl->head, std::memory_order_relaxed);
    fl->head = i + 1;
    fl->count++;
  }
}

HashMap::HashMap(MapSpec spec, std::unique_ptr<Arena> arena, MapHost* host)
    : Map(std::move(spec), std::move(arena), host) {
  base_ = this->arena().base();
  lay_ = layout(spec_, ncpus_);
  bucket_mask_ = lay_.n_buckets - 1;
  const bool rdonly = (spec_.flags & kRdonlyProg) != 0;
  add_region(base_ + lay_.values_off, lay_.size - lay_.values_off, !rdonly);
  add_region(base_ + lay_.elems_off, uint64_t{lay_.elem_stride} * lay_.total, false);
}

__attribute__((always_inline)) inline void HashMap::make_key(const void* key, Key& k) const {
  if (lay_.key_words > 64) {
    k.heap = std::make_unique<uint64_t[]>(lay_.key_words);
    k.words = k.heap.get();
  }
  words::gather(k.words, key, spec_.key_size);
  k.hash = static_cast<uint32_t>(words::hash(k.words, lay_.key_words, map_header(base_)->seed));
  k.bucket = k.hash & bucket_mask_;
}

__attribute__((always_inline)) inline uint32_t HashMap::walk(const Key& k) const {
  uint32_t idx = bucket(k.bucket).load(std::memory_order_acquire);
  for (uint32_t steps = 0; valid(idx) && steps <= lay_.total; ++steps) {
    const Elem& e = elem(idx);
    if (e.hash.load(std::memory_order_relaxed) == k.hash && words::equal(e.key, k.words, lay_.key_words)) {
      return idx;
    }
    idx = e.next.load(std::memory_order_relaxed);
  }
  return 0;
}

template <class F>
void HashMap::read_stable(uint32_t b, F&& f) const {
  std::atomic<uint32_t>& bseq = bucket_seq(b);
  for (int attempt = 0; attempt < kOptimisticReads; ++attempt) {
    const uint32_t seq = bseq.load(std::memory_order_acquire);
    if ((seq & 1) != 0) {
      cpu_relax();
      continue;
    }
    f();
    std::atomic_thread_fence(std::memory_order_acquire);
    if (bseq.load(std::memory_order_relaxed) == seq) {
      return;
    }
  }
  // Writers keep changing the bucket, or one died mid-update: read under the lock.
  WriteLock lock(*this, b);
  f();
}

__attribute__((always_inline)) inline uint32_t HashMap::find(const Key& k) const {
  uint32_t found = 0;
  read_stable(k.bucket, [&] { found = walk(k); });
  return found;
}

// REQUIRES: the stripe of b is locked.
void HashMap::begin_write(uint32_t b) const {
  std::atomic<uint32_t>& seq = bucket_seq(b);
  seq.store(seq.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
}

void HashMap::end_write(uint32_t b) const {
  std::atomic<uint32_t>& seq = bucket_seq(b);
  seq.store(seq.load(std::memory_order_relaxed) + 1, std::memory_order_release);
}

// REQUIRES: the stripe of b is locked.
void HashMap::link(uint32_t b, uint32_t idx) const {
  begin_write(b);
  elem(idx).next.store(bucket(b).load(std::memory_order_relaxed), std::memory_order_relaxed);
  bucket(b).store(idx, std::memory_order_relaxed);
  end_write(b);
  elem(idx).state.store(kLinked, std::memory_order_relaxed);
}

// REQUIRES: the stripe of b is locked. The caller has already marked the element reserved.
bool HashMap::unlink(uint32_t b, uint32_t idx) const {
  std::atomic<uint32_t>* link_field = &bucket(b);
  uint32_t cur = link_field->load(std::memory_order_relaxed);
  for (uint32_t steps = 0; valid(cur) && steps <= lay_.total; ++steps) {
    if (cur == idx) {
      begin_write(b);
      link_field->store(elem(cur).next.load(std::memory_order_relaxed), std::memory_order_relaxed);
      end_write(b);
      return true;
    }
    link_field = &elem(cur).next;
    cur = link_field->load(std::memory_order_relaxed);
  }
  return false;
}

void HashMap::write_value(uint32_t idx, const void* value, bool all_cpus, bool locked) const {
  const int32_t lock_off = spec_.spin_lock_offset;
  auto put = [&](uint8_t* dst, const void* src) {
    auto* w = reinterpret_cast<uint64_t*>(dst);
    if (lock_off < 0) {
      words::put(w, src, spec_.value_size);
    } else {
      words::put_skipping(w, src, spec_.value_size, static_cast<size_t>(lock_off));
    }
  };
  if (!lay_.percpu) {
    uint8_t* dst = value_ptr(idx, 0);
    if (locked) {
      auto* lock_word = reinterpret_cast<uint32_t*>(dst + lock_off);
      (void)spin_lock(lock_word);
      put(dst, value);
      spin_unlock(lock_word);
    } else {
      put(dst, value);
    }
    return;
  }
  if (!all_cpus) {
    put(value_ptr(idx, current_cpu()), value);
    return;
  }
  const auto* src = static_cast<const uint8_t*>(value);
  for (uint32_t cpu = 0; cpu < ncpus_; ++cpu) {
    put(value_ptr(idx, cpu), src + uint64_t{cpu} * lay_.value_stride);
  }
}

void HashMap::read_value(uint32_t idx, void* out, bool locked) const {
  const int32_t lock_off = spec_.spin_lock_offset;
  auto get = [&](void* dst, const uint8_t* src) {
    const auto* w = reinterpret_cast<const uint64_t*>(src);
    if (lock_off < 0) {
      words::get(dst, w, spec_.value_size);
    } else {
      words::get_skipping(dst, w, spec_.value_size, static_cast<size_t>(lock_off));
    }
  };
  if (!lay_.percpu) {
    uint8_t* src = value_ptr(idx, 0);
    if (locked) {
      auto* lock_word = reinterpret_cast<uint32_t*>(src + lock_off);
      (void)spin_lock(lock_word);
      get(out, src);
      spin_unlock(lock_word);
    } else {
      get(out, src);
    }
    return;
  }
  auto* dst = static_cast<uint8_t*>(out);
  for (uint32_t cpu = 0; cpu < ncpus_; ++cpu) {
    uint8_t* slot = dst + uint64_t{cpu} * lay_.value_stride;
    std::memset(slot, 0, lay_.value_stride);
    get(slot, value_ptr(idx, cpu));
  }
}

// A fresh element: key, hash, value (other CPUs' values zeroed for a program's per-CPU update, and the
// spin lock cleared, as the kernel initialises new elements).
void HashMap::fill(uint32_t idx, const Key& k, const void* value, bool all_cpus) const {
  Elem& e = elem(idx);
  for (uint32_t i = 0; i < lay_.key_words; ++i) {
    words::store(&e.key[i], k.words[i]);
  }
  e.hash.store(k.hash, std::memory_order_relaxed);
  e.ref.store(0, std::memory_order_relaxed);
  if (lay_.percpu && !all_cpus) {
    for (uint32_t cpu = 0; cpu < ncpus_; ++cpu) {
      words::zero(reinterpret_cast<uint64_t*>(value_ptr(idx, cpu)), lay_.value_stride);
    }
  }
  if (spec_.spin_lock_offset >= 0) {
    __atomic_store_n(reinterpret_cast<uint32_t*>(value_ptr(idx, 0) + spec_.spin_lock_offset), 0u, __ATOMIC_RELAXED);
  }
  write_value(idx, value, all_cpus, false);
}

int HashMap::check_update_flags(uint64_t flags) const {
  if ((flags & ~kBpfFLock) > kBpfExist) {
    return -EINVAL;
  }
  if ((flags & kBpfFLock) != 0 && spec_.spin_lock_offset < 0) {
    return -EINVAL;
  }
  return 0;
}

int HashMap::check_inner_value(const void* value) const {
  if (spec_.type != MapType::kHashOfMaps) {
    return 0;
  }
  uint32_t handle = 0;
  std::memcpy(&handle, value, sizeof(handle));
  Map* inner = host_ != nullptr ? host_->map_by_handle(handle) : nullptr;
  if (inner == nullptr) {
    return -EBADF;
  }
  return spec_.inner && inner_map_compatible(*spec_.inner, inner->spec()) ? 0 : -EINVAL;
}

int HashMap::upsert(const void* key, const void* value, uint64_t flags, bool from_program) {
  if (const int rc = check_update_flags(flags); rc != 0) {
    return rc;
  }
  const uint64_t mode = flags & ~kBpfFLock;
  Key k;
  make_key(key, k);
  const bool all_cpus = !from_program;
  uint32_t fresh = 0;  // an element we hold while retrying (LRU eviction, reclamation)
  for (int attempt = 0;; ++attempt) {
    {
      WriteLock lock(*this, k.bucket);
      const uint32_t old = walk(k);
      if (old != 0 && mode == kBpfNoexist) {
        if (fresh != 0) {
          push_free(fresh, main_list());
        }
        return -EEXIST;
      }
      if (old == 0 && mode == kBpfExist) {
        if (fresh != 0) {
          push_free(fresh, main_list());
        }
        return -ENOENT;
      }
      if (old != 0) {
        if (fresh != 0) {
          push_free(fresh, main_list());
        }
        const bool locked = (flags & kBpfFLock) != 0;
        if (locked || lay_.percpu || lay_.lru) {
          write_value(old, value, all_cpus, locked);
          if (lay_.lru) {
            elem(old).ref.store(1, std::memory_order_relaxed);
          }
          return 0;
        }
        // Atomic replace: link the stripe's spare with the new value ahead of the old element, then
        // unlink the old one, which becomes the spare. All under the stripe lock already held.
        Stripe& st = stripe(k.bucket);
        const uint32_t spare = st.spare;
        if (!valid(spare)) {
          write_value(old, value, all_cpus, false);  // the spare went with a dead updater
          return 0;
        }
        elem(spare).state.store(reserved_by_me(), std::memory_order_relaxed);
        st.spare = 0;
        fill(spare, k, value, all_cpus);
        elem(old).state.store(reserved_by_me(), std::memory_order_relaxed);
        link(k.bucket, spare);
        unlink(k.bucket, old);
        elem(old).state.store(kFree | kSpareTag | (k.bucket & (lay_.n_stripes - 1)), std::memory_order_relaxed);
        st.spare = old;
        return 0;
      }
      if (fresh == 0) {
        fresh = pop_free();
      }
      if (fresh != 0) {
        fill(fresh, k, value, all_cpus);
        link(k.bucket, fresh);
        return 0;
      }
    }
    // Full. LRU maps make room; others may get back elements leaked by dead processes.
    if (lay_.lru) {
      fresh = evict_one();
      if (fresh == 0 && attempt > 2) {
        return -E2BIG;
      }
    } else if (attempt > 0 || !reclaim_leaked()) {
      return -E2BIG;
    }
  }
}

int HashMap::remove_key(const Key& k, void* value_out) {
  WriteLock lock(*this, k.bucket);
  const uint32_t idx = walk(k);
  if (idx == 0) {
    return -ENOENT;
  }
  if (value_out != nullptr) {
    read_value(idx, value_out, false);
  }
  elem(idx).state.store(reserved_by_me(), std::memory_order_relaxed);
  unlink(k.bucket, idx);
  push_free(idx, main_list());
  return 0;
}

int HashMap::do_lookup(const void* key, void* value, uint64_t flags) {
  if ((flags & ~kBpfFLock) != 0 || ((flags & kBpfFLock) != 0 && spec_.spin_lock_offset < 0)) {
    return -EINVAL;
  }
  if ((spec_.flags & kWronly) != 0) {
    return -EPERM;
  }
  Key k;
  make_key(key, k);
  // Copy under the seqlock so the value belongs to the key that was found.
  int rc = -ENOENT;
  read_stable(k.bucket, [&] {
    const uint32_t idx = walk(k);
    rc = idx == 0 ? -ENOENT : 0;
    if (idx != 0) {
      read_value(idx, value, (flags & kBpfFLock) != 0);
    }
  });
  return rc;
}

int HashMap::do_update(const void* key, const void* value, uint64_t flags) {
  if ((spec_.flags & kRdonly) != 0) {
    return -EPERM;
  }
  if (const int rc = check_update_flags(flags); rc != 0) {
    return rc;
  }
  if (const int rc = check_inner_value(value); rc != 0) {
    return rc;
  }
  return upsert(key, value, flags, false);
}

int HashMap::do_erase(const void* key) {
  if ((spec_.flags & kRdonly) != 0) {
    return -EPERM;
  }
  Key k;
  make_key(key, k);
  return remove_key(k, nullptr);
}

int HashMap::do_lookup_and_delete(const void* key, void* value, uint64_t flags) {
  if ((spec_.flags & (kRdonly | kWronly)) != 0) {
    return -EPERM;
  }
  if (flags != 0 && (flags != kBpfFLock || spec_.spin_lock_offset < 0)) {
    return -EINVAL;
  }
  if (spec_.type == MapType::kHashOfMaps) {
    return -kENOTSUPP;
  }
  Key k;
  make_key(key, k);
  return remove_key(k, value);
}

int HashMap::do_get_next_key(const void* key, void* next_key) {
  if ((spec_.flags & kWronly) != 0) {
    return -EPERM;
  }
  uint32_t start = 0;
  std::vector<uint64_t> out(lay_.key_words);
  if (key != nullptr) {
    Key k;
    make_key(key, k);
    bool found = false;
    bool have_next = false;
    read_stable(k.bucket, [&] {
      const uint32_t idx = walk(k);
      found = idx != 0;
      have_next = false;
      if (found) {
        const uint32_t next = elem(idx).next.load(std::memory_order_relaxed);
        if (valid(next)) {
          have_next = true;
          words::get(out.data(), elem(next).key, 8ull * lay_.key_words);
        }
      }
    });
    if (have_next) {
      std::memcpy(next_key, out.data(), spec_.key_size);
      return 0;
    }
    start = found ? k.bucket + 1 : 0;
  }
  for (uint32_t b = start; b < lay_.n_buckets; ++b) {
    if (bucket(b).load(std::memory_order_relaxed) == 0) {
      continue;
    }
    bool have = false;
    read_stable(b, [&] {
      const uint32_t head = bucket(b).load(std::memory_order_acquire);
      have = valid(head);
      if (have) {
        words::get(out.data(), elem(head).key, 8ull * lay_.key_words);
      }
    });
    if (have) {
      std::memcpy(next_key, out.data(), spec_.key_size);
      return 0;
    }
  }
  return -ENOENT;
}

// Batches go bucket by bucket (the cursor is the next bucket), as the kernel's do: a bucket is
// returned whole or not at all, and -ENOSPC means even the first bucket does not fit.
int HashMap::batch(uint64_t* cursor, void* keys, void* values, uint32_t count, bool* done, bool erase) {
  if (cursor == nullptr || done == nullptr || count == 0 || keys == nullptr || values == nullptr) {
    return -EINVAL;
  }
  if ((spec_.flags & kWronly) != 0 || (erase && (spec_.flags & kRdonly) != 0)) {
    return -EPERM;
  }
  const size_t ks = spec_.key_size;
  const size_t vs = user_value_size();
  std::vector<uint32_t> chain;
  uint32_t copied = 0;
  uint64_t b = *cursor;
  *done = false;
  for (; b < lay_.n_buckets; ++b) {
    WriteLock lock(*this, static_cast<uint32_t>(b));
    chain.clear();
    for (uint32_t idx = bucket(static_cast<uint32_t>(b)).load(std::memory_order_relaxed);
         valid(idx) && chain.size() <= lay_.total; idx = elem(idx).next.load(std::memory_order_relaxed)) {
      chain.push_back(idx);
    }
    if (copied + chain.size() > count) {
      if (copied == 0) {
        return -ENOSPC;
      }
      break;
    }
    for (uint32_t idx : chain) {
      words::get(static_cast<uint8_t*>(keys) + copied * ks, elem(idx).key, ks);
      read_value(idx, static_cast<uint8_t*>(values) + copied * vs, false);
      ++copied;
      if (erase) {
        elem(idx).state.store(reserved_by_me(), std::memory_order_relaxed);
        unlink(static_cast<uint32_t>(b), idx);
        push_free(idx, main_list());
      }
    }
  }
  *cursor = b;
  *done = b >= lay_.n_buckets;
  return static_cast<int>(copied);
}

int HashMap::lookup_batch(uint64_t* cursor, void* keys, void* values, uint32_t count, bool* done) {
  return batch(cursor, keys, values, count, done, false);
}

int HashMap::lookup_and_delete_batch(uint64_t* cursor, void* keys, void* values, uint32_t count, bool* done) {
  return batch(cursor, keys, values, count, done, true);
}

// A direct call of the (final) class's lookup: no helper dispatch, no virtual call.
MapLookupShortcut HashMap::lookup_shortcut() {
  MapLookupShortcut s;
  s.kind = MapLookupShortcut::Kind::kCall;
  s.key_size = spec_.key_size;
  s.lookup = [](void* map, const void* key) { return static_cast<HashMap*>(map)->HashMap::prog_lookup(key); };
  s.map = this;
  return s;
}

void* HashMap::prog_lookup(const void* key) {
  if ((spec_.flags & kWronlyProg) != 0) {
    return nullptr;
  }
  Key k;
  make_key(key, k);
  const uint32_t idx = find(k);
  if (idx == 0) {
    return nullptr;
  }
  if (lay_.lru) {
    auto& ref = elem(idx).ref;
    if (ref.load(std::memory_order_relaxed) == 0) {
      ref.store(1, std::memory_order_relaxed);
    }
  }
  if (spec_.type == MapType::kHashOfMaps) {
    uint32_t handle = 0;
    std::memcpy(&handle, value_ptr(idx, 0), sizeof(handle));
    Map* inner = host_ != nullptr ? host_->map_by_handle(handle) : nullptr;
    return inner != nullptr ? reinterpret_cast<void*>(inner->program_handle()) : nullptr;
  }
  return value_ptr(idx, lay_.percpu ? current_cpu() : 0);
}

long HashMap::prog_update(const void* key, const void* value, uint64_t flags) {
  if ((spec_.flags & kRdonlyProg) != 0) {
    return -EPERM;
  }
  if (spec_.type == MapType::kHashOfMaps) {
    return -EINVAL;  // the kernel's verifier refuses map-in-map updates from programs
  }
  return upsert(key, value, flags, true);
}

long HashMap::prog_delete(const void* key) {
  if ((spec_.flags & kRdonlyProg) != 0) {
    return -EPERM;
  }
  Key k;
  make_key(key, k);
  return remove_key(k, nullptr);
}

long HashMap::for_each(const std::function<long(const MapElement&)>& fn) {
  if (spec_.type == MapType::kHashOfMaps) {
    return -EINVAL;
  }
  long calls = 0;
  const uint32_t cpu = lay_.percpu ? current_cpu() : 0;
  for (uint32_t b = 0; b < lay_.n_buckets; ++b) {
    uint32_t idx = bucket(b).load(std::memory_order_acquire);
    for (uint32_t steps = 0; valid(idx) && steps <= lay_.total; ++steps) {
      Elem& e = elem(idx);
      ++calls;
      if (fn(MapElement{reinterpret_cast<const uint8_t*>(e.key), value_ptr(idx, cpu)}) != 0) {
        return calls;
      }
      idx = e.next.load(std::memory_order_relaxed);
    }
  }
  return calls;
}

uint32_t HashMap::count_linked() const {
  uint32_t n = 0;
  for (uint32_t idx = 1; idx <= lay_.total; ++idx) {
    n += elem(idx).state.load(std::memory_order_relaxed) == kLinked ? 1 : 0;
  }
  return n;
}

// ---- type table entries ----
namespace {

int check_hash(const MapSpec& spec, std::string* why) {
  auto refuse = [&](int err, const char* reason) {
    if (why != nullptr) {
      *why = reason;
    }
    return err;
  };
  const bool lru = type_is_lru(spec.type);
  const bool percpu = type_is_percpu(spec.type);
  constexpr uint32_t kMask = kNoPrealloc | kNoCommonLru | kNumaNode | kAccessMask | kZeroSeed;
  if ((spec.flags & ~kMask) != 0 || !flags_access_ok(spec.flags)) {
    return refuse(-EINVAL, "invalid flags for a hash map");
  }
  if (!lru && (spec.flags & kNoCommonLru) != 0) {
    return refuse(-EINVAL, "BPF_F_NO_COMMON_LRU is only for LRU maps");
  }
  if (lru && (spec.flags & kNoPrealloc) != 0) {
    return refuse(-kENOTSUPP, "LRU maps are always preallocated");
  }
  if ((spec.flags & kNumaNode) != 0 && (percpu || (spec.flags & kNoCommonLru) != 0)) {
    return refuse(-EINVAL, "BPF_F_NUMA_NODE does not apply to per-CPU maps");
  }
  if (spec.max_entries == 0 || spec.key_size == 0 || spec.value_size == 0) {
    return refuse(-EINVAL, "hash maps need key_size, value_size and max_entries > 0");
  }
  if (uint64_t{spec.key_size} + spec.value_size >= kKmallocMaxSize - 48) {
    return refuse(-E2BIG, "key_size + value_size is too large");
  }
  if (percpu && round8(spec.value_size) > kPcpuMinUnitSize) {
    return refuse(-E2BIG, "per-CPU values are limited to 32 KiB");
  }
  if (spec.type == MapType::kHashOfMaps) {
    if (spec.value_size != 4) {
      return refuse(-EINVAL, "hash-of-maps values are 4-byte map handles");
    }
    return check_inner_template(spec, why);
  }
  return 0;
}

uint64_t hash_memory(const MapSpec& spec, uint32_t ncpus) {
  return HashMap::layout(spec, ncpus).size;
}

Result<std::unique_ptr<Map>> attach_hash(MapSpec spec, std::unique_ptr<Arena> arena, MapHost* host) {
  return std::unique_ptr<Map>(new HashMap(std::move(spec), std::move(arena), host));
}

}  // namespace

const MapTypeOps kHashMapOps{MapType::kHash, "hash", check_hash, hash_memory, HashMap::initialize, attach_hash};
const MapTypeOps kPercpuHashMapOps{MapType::kPercpuHash, "percpu_hash",       check_hash,
                                   hash_memory,          HashMap::initialize, attach_hash};
const MapTypeOps kLruHashMapOps{MapType::kLruHash, "lru_hash",          check_hash,
                                hash_memory,       HashMap::initialize, attach_hash};
const MapTypeOps kLruPercpuHashMapOps{MapType::kLruPercpuHash, "lru_percpu_hash", check_hash, hash_memory,
                                      HashMap::initialize,     attach_hash};
const MapTypeOps kHashOfMapsOps{MapType::kHashOfMaps, "hash_of_maps",      check_hash,
                                hash_memory,          HashMap::initialize, attach_hash};

}  // namespace bpfrt
