// Hash maps: BPF_MAP_TYPE_HASH, PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH and HASH_OF_MAPS.
//
// Layout (offsets from the map's base, all preallocated as the kernel does by default):
//   stripes   n_stripes x {robust mutex, spare}      update lock of the buckets b with
//                                                     b % n_stripes == stripe, and the stripe's
//                                                     spare element for atomic replaces
//   buckets   n_buckets x {u32 head, u32 sequence}   head element index + 1 (0 = empty), and the
//                                                     bucket's seqlock counter, in one cache line
//   lists     ncpus x {robust mutex, head, count}    free elements per CPU
//   elements  {next, hash, state, ref, key words}    keys, chain links and crash-recovery state
//                                                     (max_entries, plus one spare per stripe)
//   values    value_stride x elements (x ncpus, CPU-major, for per-CPU maps)
//
// Lookups take no lock: they walk a chain between two reads of the bucket's sequence and retry if a
// writer changed it (falling back to the lock after a few tries, so a writer that died mid-update
// cannot stall readers). Updates lock one stripe. A new key takes an element from a free list; when
// the lists are empty the map is full (-E2BIG), except LRU maps, which evict with a CLOCK sweep.
// Replacing a key's value links the stripe's spare element with the new value and unlinks the old
// one, which becomes the spare: a concurrent lookup sees either whole value (the kernel's behaviour),
// and the update takes no lock beyond its stripe's. Per-CPU and LRU maps update in place as the kernel
// does.
//
// Crash safety: every element records its state (free on list k / reserved by pid / linked). A process
// killed inside a stripe lock is detected by the robust mutex; the next holder re-derives the chains'
// states and drops a duplicate left by a half-done replace. A process killed inside a free-list lock
// leaves a list the next holder rebuilds from the states. Elements a dead process reserved but never
// linked are reclaimed when the map runs out of free elements.
#pragma once

#include <atomic>
#include <cstdint>

#include "maps/map_base.hpp"
#include "maps/robust_mutex.hpp"

namespace bpfrt {

// Element states (Elem::state): what crash repair re-derives. The low 30 bits hold the free list's
// index (kSpareTag | stripe for a stripe's spare) or the reserving process's pid.
namespace hash_state {
inline constexpr uint32_t kKindMask = 3u << 30;
inline constexpr uint32_t kDataMask = ~kKindMask;
inline constexpr uint32_t kFree = 1u << 30;
inline constexpr uint32_t kReserved = 2u << 30;
inline constexpr uint32_t kLinked = 3u << 30;
inline constexpr uint32_t kSpareTag = 1u << 29;
inline uint32_t reserved_by_me() {
  return kReserved | (current_pid() & kDataMask);
}
}  // namespace hash_state

class HashMap final : public Map {
 public:
  struct Layout {
    bool percpu = false;
    bool lru = false;
    uint32_t n_buckets = 0;
    uint32_t n_stripes = 0;
    uint32_t n_main = 0;   // free lists of elements for new keys, one per CPU
    uint32_t n_lists = 0;  // == n_main
    uint32_t pool = 0;     // elements that can hold keys (max_entries)
    uint32_t total = 0;    // pool + one spare per stripe (plain hash maps)
    bool spares = false;
    uint32_t key_words = 0;
    uint32_t elem_stride = 0;
    uint32_t value_stride = 0;
    uint64_t stripes_off = 0, buckets_off = 0, lists_off = 0, elems_off = 0, values_off = 0, size = 0;
  };
  static Layout layout(const MapSpec& spec, uint32_t ncpus);
  static void initialize(uint8_t* base, const MapSpec& spec, uint32_t ncpus);

  HashMap(MapSpec spec, std::unique_ptr<Arena> arena, MapHost* host);

  int do_lookup(const void* key, void* value, uint64_t flags) override;
  int do_update(const void* key, const void* value, uint64_t flags) override;
  int do_erase(const void* key) override;
  int do_lookup_and_delete(const void* key, void* value, uint64_t flags) override;
  int do_get_next_key(const void* key, void* next_key) override;
  int lookup_batch(uint64_t* cursor, void* keys, void* values, uint32_t count, bool* done) override;
  int lookup_and_delete_batch(uint64_t* cursor, void* keys, void* values, uint32_t count, bool* done) override;

  void* prog_lookup(const void* key) override;
  MapLookupShortcut lookup_shortcut() override;
  long prog_update(const void* key, const void* value, uint64_t flags) override;
  long prog_delete(const void* key) override;
  long for_each(const std::function<long(const MapElement&)>& fn) override;

  // Elements currently holding keys (a scan; for tests and tools).
  uint32_t count_linked() const;

 private:
  struct alignas(64) Stripe {
    RobustMutex mutex;
    uint32_t spare;  // element index + 1, 0 if taken (by a replace that died half-way)
  };
  struct Bucket {
    std::atomic<uint32_t> head;
    std::atomic<uint32_t> seq;
  };
  struct alignas(64) FreeList {
    RobustMutex mutex;
    uint32_t head;
    uint32_t count;
  };
  struct Elem {
    std::atomic<uint32_t> next;
    std::atomic<uint32_t> hash;
    std::atomic<uint32_t> state;
    std::atomic<uint8_t> ref;
    uint8_t pad[3];
    uint64_t key[1];  // key_words words
  };
  static_assert(sizeof(Stripe) == 64 && sizeof(FreeList) == 64);

  class WriteLock;
  // A key as zero-padded words, hashed; small keys stay on the stack.
  struct Key {
    uint64_t inline_words[64];
    std::unique_ptr<uint64_t[]> heap;
    uint64_t* words = inline_words;
    uint32_t hash = 0;
    uint32_t bucket = 0;
  };

  // idx is 1-based.
  Elem& elem(uint32_t idx) const {
    return *reinterpret_cast<Elem*>(base_ + lay_.elems_off + uint64_t{lay_.elem_stride} * (idx - 1));
  }
  std::atomic<uint32_t>& bucket(uint32_t b) const {
    return reinterpret_cast<Bucket*>(base_ + lay_.buckets_off)[b].head;
  }
  std::atomic<uint32_t>& bucket_seq(uint32_t b) const {
    return reinterpret_cast<Bucket*>(base_ + lay_.buckets_off)[b].seq;
  }
  Stripe& stripe(uint32_t b) const {
    return *reinterpret_cast<Stripe*>(base_ + lay_.stripes_off + 64ull * (b & (lay_.n_stripes - 1)));
  }
  uint8_t* value_ptr(uint32_t idx, uint32_t cpu) const {
    const uint64_t slot = lay_.percpu ? uint64_t{cpu} * lay_.total + (idx - 1) : (idx - 1);
    return base_ + lay_.values_off + slot * lay_.value_stride;
  }
  bool valid(uint32_t idx) const { return idx != 0 && idx <= lay_.total; }

  void make_key(const void* key, Key& k) const;
  uint32_t walk(const Key& k) const;
  uint32_t find(const Key& k) const;
  template <class F>
  void read_stable(uint32_t b, F&& f) const;

  void begin_write(uint32_t b) const;
  void end_write(uint32_t b) const;
  bool unlink(uint32_t b, uint32_t idx) const;
  void link(uint32_t b, uint32_t idx) const;
  void repair_stripe(uint32_t stripe_index) const;

  uint32_t pop_free() const;
  // The calling CPU's free list.
  uint32_t main_list() const { return current_cpu() % lay_.n_main; }
  Stripe& stripe_at(uint32_t index) const {
    return *reinterpret_cast<Stripe*>(base_ + lay_.stripes_off + 64ull * index);
  }
  // Gives a spare element to a stripe that lost its spare, or to the free lists. REQUIRES: no lock.
  void return_spare(uint32_t idx) const;
  uint32_t pop_list(uint32_t list) const;
  void push_free(uint32_t idx, uint32_t list) const;
  void rebuild_list(uint32_t list) const;
  bool reclaim_leaked() const;
  uint32_t evict_one() const;

  void fill(uint32_t idx, const Key& k, const void* value, bool all_cpus) const;
  void write_value(uint32_t idx, const void* value, bool all_cpus, bool locked) const;
  void read_value(uint32_t idx, void* out, bool locked) const;
  int check_update_flags(uint64_t flags) const;
  int upsert(const void* key, const void* value, uint64_t flags, bool from_program);
  int remove_key(const Key& k, void* value_out);
  int batch(uint64_t* cursor, void* keys, void* values, uint32_t count, bool* done, bool erase);
  int check_inner_value(const void* value) const;

  Layout lay_;
  uint8_t* base_;
  uint32_t bucket_mask_;
};

// Locks a stripe for writing, repairing it first if its previous holder died.
class HashMap::WriteLock {
 public:
  WriteLock(const HashMap& map, uint32_t b)
      : map_(map), stripe_(b & (map.lay_.n_stripes - 1)), lock_(map.stripe(b).mutex) {
    if (lock_.recovered()) {
      map_.repair_stripe(stripe_);
      lock_.consistent();
    }
  }

 private:
  const HashMap& map_;
  uint32_t stripe_;
  RobustLock lock_;
};

}  // namespace bpfrt
