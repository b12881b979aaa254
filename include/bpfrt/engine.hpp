// Engines execute validated programs: the interpreter and the x86-64 JIT share this interface.
//
// A run starts with r1 = context pointer, r2 = context length and r10 = the top of a private stack
// (EngineOptions::stack_size bytes per call frame, at most kMaxCallFrames frames). Every memory access
// is checked against the regions the program may touch: the context, the active stack frames and the
// regions given in EngineOptions (map values, ring buffers, ...). An access outside them ends the run
// with an error naming the instruction, never a crash.
//
// Thread-safety: run() is const and may be called from many threads at once; each run keeps its
// registers and stack on the calling thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "bpfrt/helper.hpp"
#include "bpfrt/isa.hpp"
#include "bpfrt/result.hpp"

namespace bpfrt {

inline constexpr int kMaxCallFrames = 8;  // the main frame plus 7 nested local calls, as in the kernel
inline constexpr size_t kDefaultStackSize = 512;
inline constexpr int kMaxTailCalls = 33;  // MAX_TAIL_CALL_CNT

struct MemoryRegion {
  uint64_t start = 0;
  uint64_t size = 0;
  bool writable = true;
};

enum class EngineKind { kInterpreter, kJit };

const char* engine_kind_name(EngineKind kind);
Result<EngineKind> parse_engine_kind(std::string_view name);

// Resolves an lddw whose source is a pseudo value (map fd, map value, ...) to the 64-bit constant the
// engine loads. Called once per such instruction when the engine is created.
using LddwResolver = std::function<Result<uint64_t>(const Instruction& first, const Instruction& second, size_t index)>;

// How an engine may run bpf_map_lookup_elem on one map without the generic helper, when the map
// argument (r1) is known at the call to be that map's lddw value. The result must be exactly what the
// helper `replaces` would return for the same key; the engine falls back to the helper whenever it
// cannot prove the call site (r1 from an lddw in the same basic block, key readable).
struct MapLookupShortcut {
  enum class Kind : uint8_t {
    kNone,   // no shortcut: call the helper
    kArray,  // index = the u32 key; index < max_entries ? values + index * value_stride : NULL
    kCall,   // lookup(map, key): the map's own lookup, without the helper's dispatch and checks
  };
  Kind kind = Kind::kNone;
  HelperFn replaces = nullptr;  // the helper this stands in for (calls to other functions keep theirs)
  uint32_t key_size = 0;        // bytes of the key the lookup reads
  uint64_t values = 0;          // kArray: address of element 0's value
  uint32_t value_stride = 0;    // kArray: bytes between consecutive values
  uint32_t max_entries = 0;     // kArray: number of elements
  void* (*lookup)(void* map, const void* key) = nullptr;  // kCall
  void* map = nullptr;                                    // kCall: lookup's first argument
};

// Describes the map behind a resolved `lddw map_fd`/`lddw map_idx` value (see resolve_lddw).
using MapShortcutResolver = std::function<MapLookupShortcut(uint64_t lddw_value)>;

struct EngineOptions {
  size_t stack_size = kDefaultStackSize;  // bytes per call frame (multiple of 8)
  uint64_t instruction_budget = 0;        // 0: unlimited; else the run fails after this many instructions
  const HelperTable* helpers = nullptr;   // must outlive the engine
  std::vector<MemoryRegion> regions;      // memory besides context and stack the program may touch
  // Memory known only at run time (maps reached through map-in-map lookups), consulted for accesses
  // outside every region above: returns true if [addr, addr+len) may be accessed.
  bool (*dynamic_regions)(const void* data, uint64_t addr, uint64_t len, bool write) = nullptr;
  const void* dynamic_regions_data = nullptr;
  // Resolves lddw map_fd / map_value / map_idx / map_idx_value (not func, which the engine resolves).
  LddwResolver resolve_lddw;
  // JIT: inline bpf_map_lookup_elem on maps known at the call (array maps: bounds check and address
  // arithmetic; others: a direct call of the map's lookup). Empty: every lookup calls the helper.
  MapShortcutResolver map_lookup_shortcut;
  bool ctx_writable = true;
  // Clear each stack frame on entry, so nothing of the host leaks into the program. Verified programs
  // never read stack bytes they did not write and may skip it.
  bool zero_stack = true;
  // JIT: check every load, store and atomic at run time, as the interpreter does. Turn off only for
  // programs a verifier has proven safe; out-of-bounds accesses then go unchecked.
  bool bounds_checks = true;
  // JIT: per instruction slot, true where a verifier proved the access in bounds, so its check is
  // dropped even with bounds_checks on. Empty, or one entry per slot. The interpreter checks always.
  std::vector<bool> proven_safe;
  // Runs with a context shorter than this fail before the program starts. A verified program's
  // context accesses are proven for contexts of at least the size it was verified with.
  size_t min_ctx_size = 0;
};

struct RunArgs {
  void* ctx = nullptr;
  size_t ctx_len = 0;
  // Data for the legacy packet loads (ldabs/ldind); the context when not given.
  const void* packet = nullptr;
  size_t packet_len = 0;
  void* user = nullptr;
};

// Memory that belongs to a run rather than to an engine (a test run's packet): while a scope lives,
// accesses to it from the calling thread are allowed in every engine, so that programs the run
// tail-calls reach it too. Scopes nest; the innermost one counts.
class RunRegionScope {
 public:
  explicit RunRegionScope(std::span<const MemoryRegion> regions);
  ~RunRegionScope();
  RunRegionScope(const RunRegionScope&) = delete;
  RunRegionScope& operator=(const RunRegionScope&) = delete;

  // True if the innermost scope of this thread covers [addr, addr+len) (writable if `write`).
  static bool contains(uint64_t addr, uint64_t len, bool write);

 private:
  std::span<const MemoryRegion> previous_;
};

class Engine {
 public:
  virtual ~Engine() = default;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Runs the program, following tail calls into other engines' programs.
  [[nodiscard]] Result<uint64_t> run(const RunArgs& args) const;
  // The same as run(RunArgs{ctx, ctx_len}).
  [[nodiscard]] Result<uint64_t> run(void* ctx, size_t ctx_len) const {
    const RunOutcome o = run_event(ctx, ctx_len);
    if (o.failed == 0) [[likely]] {
      return o.r0;
    }
    return take_event_error();
  }

  // The per-event entry point, for code that runs a program on every hit of a hook: the same run as
  // run(ctx, ctx_len), with r0 and a failure flag coming back in registers instead of a Result.
  // When `failed` is nonzero the run ended in an error, which take_event_error() hands over (once,
  // on the calling thread, until its next failed run_event). JIT engines of programs that call no
  // helpers go straight into the machine code here, with none of run()'s bookkeeping.
  struct RunOutcome {
    uint64_t r0;
    uint64_t failed;
  };
  [[nodiscard]] RunOutcome run_event(void* ctx, size_t ctx_len) const {
    const size_t usable = ctx == nullptr ? 0 : ctx_len;  // no context: no bytes
    if (direct_ != nullptr && usable >= options_.min_ctx_size) [[likely]] {
      return direct_(ctx, ctx_len, nullptr);
    }
    return run_event_slow(ctx, ctx_len);
  }
  // The error of this thread's last failed run_event.
  static Error take_event_error();

  virtual EngineKind kind() const = 0;
  const Program& program() const { return program_; }
  const EngineOptions& options() const { return options_; }

  // True if [addr, addr+len) lies in a region from EngineOptions::regions.
  bool in_registered_region(uint64_t addr, uint64_t len, bool write) const;

 protected:
  Engine(Program program, EngineOptions options);

  // A shortcut into compiled code for run_event: r0, and failed = 1 when the run ended in an error,
  // which the code left with store_event_error().
  using DirectEntry = RunOutcome (*)(void* ctx, uint64_t ctx_len, void* reserved);
  DirectEntry direct_ = nullptr;
  static void store_event_error(Error error);
  // run_event for engines without a shortcut, too small a context, or a failed run: run(RunArgs).
  RunOutcome run_event_slow(void* ctx, size_t ctx_len) const;
  Error context_too_small(size_t ctx_len) const;

  // Runs this program once. `rc` arrives with the context, user pointer and engine filled in; the
  // engine sets the stack bounds, hands `rc` to helpers and stops as soon as a helper asks.
  [[nodiscard]] virtual Result<uint64_t> execute(const RunArgs& args, RunContext& rc) const = 0;

  Program program_;
  EngineOptions options_;  // regions sorted by start
};

[[nodiscard]] Result<std::unique_ptr<Engine>> create_engine(EngineKind kind, Program program,
                                                            EngineOptions options = {});

}  // namespace bpfrt
