// Hash map elements: the free lists, LRU eviction, and the repairs after a process died holding a
// lock or holding an element (see hash_map.hpp for the states and the invariants).
#include <vector>

#include <time.h>

#include "maps/hash_map.hpp"
#include "maps/shared_words.hpp"

namespace bpfrt {

using namespace hash_state;

namespace {

uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace

// REQUIRES: the stripe's lock was taken from a holder that died. Re-derives element states from the
// chains and removes the duplicate a half-done replace may have left (the newer element comes first).
void HashMap::repair_stripe(uint32_t stripe_index) const {
  Stripe& st = stripe_at(stripe_index);
  if (lay_.spares && st.spare != 0 &&
      (!valid(st.spare) || elem(st.spare).state.load(std::memory_order_relaxed) == kLinked)) {
    st.spare = 0;  // corrupt, or already linked by the dead updater
  }
  if (lay_.spares && valid(st.spare)) {
    elem(st.spare).state.store(kFree | kSpareTag | stripe_index, std::memory_order_relaxed);
  }
  std::vector<uint32_t> seen;
  for (uint32_t b = stripe_index; b < lay_.n_buckets; b += lay_.n_stripes) {
    const uint32_t seq = bucket_seq(b).load(std::memory_order_relaxed);
    if ((seq & 1) != 0) {
      bucket_seq(b).store(seq + 1, std::memory_order_release);
    }
    seen.clear();
    std::atomic<uint32_t>* link_field = &bucket(b);
    uint32_t cur = link_field->load(std::memory_order_relaxed);
    while (cur != 0) {
      if (!valid(cur) || seen.size() > lay_.total) {
        link_field->store(0, std::memory_order_relaxed);  // corrupt tail: cut it off
        break;
      }
      Elem& e = elem(cur);
      bool duplicate = false;
      for (uint32_t prev : seen) {
        if (elem(prev).hash.load(std::memory_order_relaxed) == e.hash.load(std::memory_order_relaxed) &&
            std::memcmp(elem(prev).key, e.key, 8ull * lay_.key_words) == 0) {
          duplicate = true;
          break;
        }
      }
      const uint32_t next = e.next.load(std::memory_order_relaxed);
      if (duplicate) {
        begin_write(b);
        link_field->store(next, std::memory_order_relaxed);
        end_write(b);
        if (lay_.spares && !valid(st.spare)) {
          e.state.store(kFree | kSpareTag | stripe_index, std::memory_order_relaxed);
          st.spare = cur;
        } else {
          e.state.store(reserved_by_me(), std::memory_order_relaxed);
          push_free(cur, main_list());
        }
      } else {
        e.state.store(kLinked, std::memory_order_relaxed);
        seen.push_back(cur);
        link_field = &e.next;
      }
      cur = next;
    }
  }
}

uint32_t HashMap::pop_list(uint32_t list) const {
  auto* fl = at<FreeList>(base_, lay_.lists_off + 64ull * list);
  RobustLock lock(fl->mutex);
  if (lock.recovered()) {
    rebuild_list(list);
    lock.consistent();
  }
  const uint32_t idx = fl->head;
  if (!valid(idx)) {
    if (idx != 0) {
      rebuild_list(list);
    }
    return 0;
  }
  Elem& e = elem(idx);
  fl->head = e.next.load(std::memory_order_relaxed);
  fl->count--;
  e.state.store(reserved_by_me(), std::memory_order_relaxed);
  return idx;
}

void HashMap::push_free(uint32_t idx, uint32_t list) const {
  auto* fl = at<FreeList>(base_, lay_.lists_off + 64ull * list);
  RobustLock lock(fl->mutex);
  if (lock.recovered()) {
    rebuild_list(list);
    lock.consistent();
  }
  Elem& e = elem(idx);
  e.state.store(kFree | list, std::memory_order_relaxed);
  e.next.store(fl->head, std::memory_order_relaxed);
  fl->head = idx;
  fl->count++;
}

// REQUIRES: the list's lock. Every element whose state says it is on this list goes back on it.
void HashMap::rebuild_list(uint32_t list) const {
  auto* fl = at<FreeList>(base_, lay_.lists_off + 64ull * list);
  fl->head = 0;
  fl->count = 0;
  for (uint32_t idx = lay_.total; idx > 0; --idx) {
    Elem& e = elem(idx);
    if (e.state.load(std::memory_order_relaxed) == (kFree | list)) {
      e.next.store(fl->head, std::memory_order_relaxed);
      fl->head = idx;
      fl->count++;
    }
  }
}

uint32_t HashMap::pop_free() const {
  const uint32_t first = main_list();
  for (uint32_t i = 0; i < lay_.n_main; ++i) {
    if (const uint32_t idx = pop_list((first + i) % lay_.n_main); idx != 0) {
      return idx;
    }
  }
  return 0;
}

void HashMap::return_spare(uint32_t idx) const {
  if (lay_.spares) {
    for (uint32_t s = 0; s < lay_.n_stripes; ++s) {
      Stripe& st = stripe_at(s);
      if (__atomic_load_n(&st.spare, __ATOMIC_RELAXED) != 0) {
        continue;
      }
      WriteLock lock(*this, s);
      if (st.spare == 0) {
        elem(idx).state.store(kFree | kSpareTag | s, std::memory_order_relaxed);
        st.spare = idx;
        return;
      }
    }
  }
  push_free(idx, main_list());
}

// Gives back elements that a process reserved and then died before linking or freeing them. Runs at
// most every 100 ms, when the map looks full. Returns true if it freed something.
bool HashMap::reclaim_leaked() const {
  MapHeader* h = map_header(base_);
  const uint64_t now = monotonic_ns();
  uint64_t last = h->reclaim_ns.load(std::memory_order_relaxed);
  if (now - last < 100'000'000 || !h->reclaim_ns.compare_exchange_strong(last, now)) {
    return false;
  }
  std::vector<uint32_t> reclaimed;
  bool freed = false;
  for (uint32_t idx = 1; idx <= lay_.total; ++idx) {
    Elem& e = elem(idx);
    const uint32_t st = e.state.load(std::memory_order_relaxed);
    if ((st & kKindMask) != kReserved || process_alive(st & kDataMask)) {
      continue;
    }
    // If the dead process held this element's stripe, locking it repairs the chains (and marks the
    // element linked if it was). Still reserved afterwards means unreachable.
    const uint32_t b = e.hash.load(std::memory_order_relaxed) & bucket_mask_;
    WriteLock lock(*this, b);
    uint32_t expected = st;
    if (e.state.compare_exchange_strong(expected, reserved_by_me())) {
      reclaimed.push_back(idx);
      freed = true;
    }
  }
  // Refill the stripes' spares first, so the map holds exactly max_entries keys again.
  for (uint32_t idx : reclaimed) {
    return_spare(idx);
  }
  return freed;
}

// CLOCK sweep: skips (and clears) recently used elements, unlinks the first cold one and returns it
// reserved for the caller.
uint32_t HashMap::evict_one() const {
  auto* hand = &map_header(base_)->clock_hand;
  for (uint32_t steps = 0; steps < 2 * lay_.total + 2; ++steps) {
    const uint32_t idx = hand->fetch_add(1, std::memory_order_relaxed) % lay_.total + 1;
    Elem& e = elem(idx);
    if (e.state.load(std::memory_order_relaxed) != kLinked) {
      continue;
    }
    if (e.ref.load(std::memory_order_relaxed) != 0) {
      e.ref.store(0, std::memory_order_relaxed);
      continue;
    }
    const uint32_t b = e.hash.load(std::memory_order_relaxed) & bucket_mask_;
    WriteLock lock(*this, b);
    if (e.state.load(std::memory_order_relaxed) != kLinked) {
      continue;
    }
    e.state.store(reserved_by_me(), std::memory_order_relaxed);
    if (unlink(b, idx)) {
      return idx;
    }
    e.state.store(kLinked, std::memory_order_relaxed);  // not in that bucket after all
  }
  return 0;
}

}  // namespace bpfrt
