// Map helpers, callbacks (bpf_loop, bpf_for_each_map_elem), tail calls and spin locks.
#include <algorithm>
#include <cerrno>

#include "helpers/helper_impls.hpp"
#include "helpers/helper_util.hpp"
#include "maps/map_base.hpp"

namespace bpfrt::helpers {
namespace {

constexpr uint64_t kMaxLoops = uint64_t{1} << 23;  // BPF_MAX_LOOPS

uint64_t neg(long err) {
  return static_cast<uint64_t>(static_cast<int64_t>(err));
}

// Bytes of a value a program passes or receives (one CPU's value for per-CPU maps).
uint64_t value_bytes(const Map& m) {
  return m.value_size();
}

}  // namespace

uint64_t map_lookup_elem(uint64_t map, uint64_t key, uint64_t, uint64_t, uint64_t, RunContext* rc) {
  Map* m = map_arg(rc, map, "bpf_map_lookup_elem: the first argument is not a map");
  if (m == nullptr ||
      !check_memory(rc, key, m->key_size(), false, "bpf_map_lookup_elem: the key is outside the program's memory")) {
    return 0;
  }
  if (m->copies_values()) {  // a kernel map: a copy for this run, written back when it ends
    RunHoldings& h = holdings(rc);
    if (std::find(h.copied.begin(), h.copied.end(), m) == h.copied.end()) {
      h.copied.push_back(m);
    }
    return reinterpret_cast<uint64_t>(m->prog_lookup_copy(reinterpret_cast<const void*>(key), &h));
  }
  return reinterpret_cast<uint64_t>(m->prog_lookup(reinterpret_cast<const void*>(key)));
}

uint64_t map_update_elem(uint64_t map, uint64_t key, uint64_t value, uint64_t flags, uint64_t, RunContext* rc) {
  Map* m = map_arg(rc, map, "bpf_map_update_elem: the first argument is not a map");
  if (m == nullptr ||
      !check_memory(rc, key, m->key_size(), false, "bpf_map_update_elem: the key is outside the program's memory") ||
      !check_memory(rc, value, value_bytes(*m), false,
                    "bpf_map_update_elem: the value is outside the program's memory")) {
    return 0;
  }
  return neg(m->prog_update(reinterpret_cast<const void*>(key), reinterpret_cast<const void*>(value), flags));
}

uint64_t map_delete_elem(uint64_t map, uint64_t key, uint64_t, uint64_t, uint64_t, RunContext* rc) {
  Map* m = map_arg(rc, map, "bpf_map_delete_elem: the first argument is not a map");
  if (m == nullptr ||
      !check_memory(rc, key, m->key_size(), false, "bpf_map_delete_elem: the key is outside the program's memory")) {
    return 0;
  }
  return neg(m->prog_delete(reinterpret_cast<const void*>(key)));
}

uint64_t map_push_elem(uint64_t map, uint64_t value, uint64_t flags, uint64_t, uint64_t, RunContext* rc) {
  Map* m = map_arg(rc, map, "bpf_map_push_elem: the first argument is not a map");
  if (m == nullptr || !check_memory(rc, value, value_bytes(*m), false,
                                    "bpf_map_push_elem: the value is outside the program's memory")) {
    return 0;
  }
  return neg(m->push(reinterpret_cast<const void*>(value), flags));
}

uint64_t map_pop_elem(uint64_t map, uint64_t value, uint64_t, uint64_t, uint64_t, RunContext* rc) {
  Map* m = map_arg(rc, map, "bpf_map_pop_elem: the first argument is not a map");
  if (m == nullptr ||
      !check_memory(rc, value, value_bytes(*m), true, "bpf_map_pop_elem: the value is outside the program's memory")) {
    return 0;
  }
  return neg(m->pop(reinterpret_cast<void*>(value)));
}

uint64_t map_peek_elem(uint64_t map, uint64_t value, uint64_t, uint64_t, uint64_t, RunContext* rc) {
  Map* m = map_arg(rc, map, "bpf_map_peek_elem: the first argument is not a map");
  // A bloom filter reads the value to test; queues and stacks write it.
  const bool writes = m != nullptr && m->type() != MapType::kBloomFilter;
  if (m == nullptr || !check_memory(rc, value, value_bytes(*m), writes,
                                    "bpf_map_peek_elem: the value is outside the program's memory")) {
    return 0;
  }
  return neg(m->peek(reinterpret_cast<void*>(value)));
}

uint64_t for_each_map_elem(uint64_t map, uint64_t fn, uint64_t ctx, uint64_t flags, uint64_t, RunContext* rc) {
  Map* m = map_arg(rc, map, "bpf_for_each_map_elem: the first argument is not a map");
  if (m == nullptr) {
    return 0;
  }
  if (rc->call_function == nullptr) {
    rc->fail("bpf_for_each_map_elem: this engine cannot run callbacks");
    return 0;
  }
  if (flags != 0) {
    return neg(-EINVAL);
  }
  bool stopped = false;
  const long n = m->for_each([&](const MapElement& e) -> long {
    const uint64_t args[5] = {map, reinterpret_cast<uint64_t>(e.key), reinterpret_cast<uint64_t>(e.value), ctx, 0};
    auto r = rc->call_function(*rc, fn, args);
    if (!r || rc->stop_requested) {
      stopped = true;
      return 1;
    }
    return *r != 0 ? 1 : 0;  // the callback returns 1 to stop
  });
  return stopped ? 0 : neg(n);
}

uint64_t loop(uint64_t nr_loops, uint64_t fn, uint64_t ctx, uint64_t flags, uint64_t, RunContext* rc) {
  if (rc->call_function == nullptr) {
    rc->fail("bpf_loop: this engine cannot run callbacks");
    return 0;
  }
  if (flags != 0) {
    return neg(-EINVAL);
  }
  if (nr_loops > kMaxLoops) {
    return neg(-E2BIG);
  }
  for (uint64_t i = 0; i < nr_loops; ++i) {
    const uint64_t args[5] = {i, ctx, 0, 0, 0};
    auto r = rc->call_function(*rc, fn, args);
    if (!r || rc->stop_requested) {
      return 0;
    }
    if (*r != 0) {
      return i + 1;
    }
  }
  return nr_loops;
}

uint64_t tail_call(uint64_t, uint64_t map, uint64_t index, uint64_t, uint64_t, RunContext* rc) {
  Map* m = map_arg(rc, map, "bpf_tail_call: the second argument is not a map");
  if (m == nullptr) {
    return 0;
  }
  if (m->type() != MapType::kProgArray) {
    rc->fail("bpf_tail_call: the map is not a prog array");
    return 0;
  }
  // Every failure falls through to the next instruction, as in the kernel.
  if (index >= m->max_entries() || rc->tail_calls_done >= kMaxTailCalls) {
    return neg(-ENOENT);
  }
  const uint32_t handle = m->handle_at(static_cast<uint32_t>(index));
  const Engine* target =
      handle == 0 || m->host() == nullptr ? nullptr : m->host()->program_engine(handle, rc->engine->kind());
  if (target == nullptr) {
    return neg(-ENOENT);
  }
  rc->tail_call(target);
  return 0;
}

uint64_t spin_lock(uint64_t lock, uint64_t, uint64_t, uint64_t, uint64_t, RunContext* rc) {
  if (lock % 4 != 0 || !check_memory(rc, lock, 4, true, "bpf_spin_lock: the lock is outside the program's memory")) {
    if (lock % 4 != 0) {
      rc->fail("bpf_spin_lock: the lock is not 4-byte aligned");
    }
    return 0;
  }
  auto* word = reinterpret_cast<uint32_t*>(lock);
  switch (bpfrt::spin_lock(word)) {
    case SpinLockResult::kLocked:
      holdings(rc).locks.push_back(word);
      return 0;
    case SpinLockResult::kSelfDeadlock:
      rc->fail("bpf_spin_lock: this thread already holds the lock");
      return 0;
    case SpinLockResult::kTimeout:
      rc->fail("bpf_spin_lock: the lock stayed taken for over two seconds");
      return 0;
  }
  return 0;
}

uint64_t spin_unlock(uint64_t lock, uint64_t, uint64_t, uint64_t, uint64_t, RunContext* rc) {
  auto* word = reinterpret_cast<uint32_t*>(lock);
  auto& locks = holdings(rc).locks;
  for (auto it = locks.begin(); it != locks.end(); ++it) {
    if (*it == word) {
      locks.erase(it);
      bpfrt::spin_unlock(word);
      return 0;
    }
  }
  rc->fail("bpf_spin_unlock: the program does not hold this lock");
  return 0;
}

}  // namespace bpfrt::helpers
