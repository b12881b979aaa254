// The helper-call ABI: functions a program reaches with `call imm`, their prototypes (which the
// verifier checks arguments against) and the table that maps ids to them.
//
// A helper receives r1-r5 and, as a sixth argument, the RunContext of the program calling it, so
// helpers need no globals to find the context, the memory the program may touch, or the runtime.
// Thread-safety: a HelperTable is filled before engines are created and read-only afterwards.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bpfrt/result.hpp"

namespace bpfrt {

class Engine;
struct MemoryRegion;

// Per-run state handed to helpers. Lives on the caller's stack for the duration of one run.
struct RunContext {
  void* ctx = nullptr;
  size_t ctx_len = 0;
  bool ctx_writable = true;
  // The active stack frames of the program: [stack_lo, stack_hi).
  uint64_t stack_lo = 0;
  uint64_t stack_hi = 0;
  const Engine* engine = nullptr;
  // Opaque pointer passed to Engine::run by the caller (attach cookie, runtime, ...).
  void* user = nullptr;

  // A helper sets this to end the program as soon as it returns, with r0 = stop_value.
  bool stop_requested = false;
  uint64_t stop_value = 0;

  // Set with fail(): the run ends with an error (kHelperFailed) carrying this message.
  const char* failure = nullptr;

  // Set with tail_call(): when the helper returns, the current program ends and `tail_call_target`
  // starts on the same context (kernel bpf_tail_call). Engine::run follows the chain.
  const Engine* tail_call_target = nullptr;
  int tail_calls_done = 0;  // in this run; bpf_tail_call fails once it reaches kMaxTailCalls

  // Callbacks (bpf_loop, bpf_for_each_map_elem): runs the program's subprogram `fn` - the value an
  // `lddw func` load put in a register, in the engine's own encoding - on a new stack frame (within
  // the kMaxCallFrames limit) with r1-r5 = args, and returns its r0. The engine sets this before any
  // helper runs; null if the engine cannot call back. On an error (bad target, depth, a fault inside
  // the callback) the run is already marked failed with that error: the helper just returns. If the
  // callback's helpers stop the program, stop_requested is set when this returns.
  Result<uint64_t> (*call_function)(RunContext& rc, uint64_t fn, const uint64_t args[5]) = nullptr;
  void* engine_state = nullptr;  // the engine's, for call_function

  // Per-run state of helpers (ring-buffer reservations and spin locks still held): a helper that
  // leaves such state sets on_run_end, which Engine::run calls once when the run ends, whether it
  // ended normally, with an error or after tail calls.
  void (*on_run_end)(RunContext& rc) = nullptr;
  void* helper_state = nullptr;

  void stop(uint64_t r0) {
    stop_requested = true;
    stop_value = r0;
  }
  void tail_call(const Engine* target) {
    stop_requested = true;
    tail_call_target = target;
  }
  // Ends the program with an error; `why` must outlive the run (a string literal).
  void fail(const char* why) {
    stop_requested = true;
    failure = why;
  }

  // True if [addr, addr + len) lies inside memory the program may touch (stack, context, regions
  // registered with the engine); `write` additionally requires the region to be writable.
  bool accessible(uint64_t addr, uint64_t len, bool write) const;
};

using HelperFn = uint64_t (*)(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, RunContext* rc);

// Argument and return types, after the kernel's bpf_arg_type / bpf_return_type.
enum class ArgType : uint8_t {
  kNone,                  // argument not used
  kAnything,              // any initialised value
  kConstMapPtr,           // a map, from lddw map_fd/map_idx
  kPtrToMapKey,           // key_size readable bytes of the map in the preceding argument
  kPtrToMapValue,         // value_size readable bytes of that map
  kPtrToUninitMapValue,   // value_size writable bytes of that map (pop/peek destination)
  kPtrToMem,              // readable memory; its size is the next argument
  kPtrToMemOrNull,        // readable memory or NULL; its size is the next argument
  kPtrToUninitMem,        // writable memory, may be uninitialised; its size is the next argument
  kPtrToUninitMemOrNull,  // writable memory or NULL; its size is the next argument
  kConstSize,             // size (> 0) of the preceding memory argument
  kConstSizeOrZero,       // size (>= 0) of the preceding memory argument
  kPtrToCtx,              // the program's context
  kPtrToFunc,             // a subprogram (callbacks: bpf_loop, for_each_map_elem)
  kPtrToStackOrNull,      // callback context on the stack, or NULL
  kPtrToAllocMem,         // memory returned by ringbuf_reserve
  kConstAllocSizeOrZero,  // size of a reservation
  kPtrToSpinLock,         // a bpf_spin_lock inside a map value
  kPtrToLong,             // 8 writable bytes
  kPtrToConstStr,         // NUL-terminated string in read-only map memory
};

enum class RetType : uint8_t {
  kInteger,
  kVoid,
  kPtrToMapValueOrNull,  // value_size bytes of the map in argument 1
  kPtrToAllocMemOrNull,  // memory of the size in argument 2 (ringbuf_reserve)
};

struct HelperPrototype {
  RetType ret = RetType::kInteger;
  std::array<ArgType, 5> args{};
  // Writes to context or packet data, invalidating packet pointers (kernel: changes_pkt_data).
  bool changes_packet_data = false;
};

struct HelperEntry {
  int32_t id = 0;
  std::string name;
  HelperFn fn = nullptr;
  HelperPrototype prototype;
};

class HelperTable {
 public:
  // Fails if the id or the name is already taken.
  Status add(HelperEntry entry) {
    if (by_id_.contains(entry.id) || find(entry.name) != nullptr) {
      return make_error(ErrorCode::kInvalidArgument,
                        "helper " + std::to_string(entry.id) + " (" + entry.name + ") is already registered");
    }
    const int32_t id = entry.id;
    by_id_.emplace(id, std::move(entry));
    return {};
  }
  const HelperEntry* find(int32_t id) const {
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : &it->second;
  }
  const HelperEntry* find(std::string_view name) const {
    for (const auto& [id, entry] : by_id_) {
      if (entry.name == name) {
        return &entry;
      }
    }
    return nullptr;
  }
  // Sorted by id.
  std::vector<const HelperEntry*> entries() const {
    std::vector<const HelperEntry*> out;
    for (const auto& [id, entry] : by_id_) {
      out.push_back(&entry);
    }
    std::sort(out.begin(), out.end(), [](const HelperEntry* a, const HelperEntry* b) { return a->id < b->id; });
    return out;
  }
  size_t size() const { return by_id_.size(); }

  // An opaque pointer for the implementations registered here (the standard helpers keep their host,
  // the runtime, here); helpers reach it as rc->engine->options().helpers->context().
  void set_context(void* context) { context_ = context; }
  void* context() const { return context_; }

 private:
  std::unordered_map<int32_t, HelperEntry> by_id_;
  void* context_ = nullptr;
};

}  // namespace bpfrt
