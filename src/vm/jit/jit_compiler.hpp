// The x86-64 code generator: turns a validated program, with its helper calls and lddw constants
// already resolved, into machine code in a W^X CodeBuffer. The code has one entry point (JitEntry)
// taking the per-run JitState, one prologue and one shared epilogue.
// Thread-safety: compile_jit is reentrant; the result is immutable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <utility>
#include <vector>

#include "bpfrt/engine.hpp"

#include "vm/jit/code_buffer.hpp"
#include "vm/jit/jit_layout.hpp"
#include "vm/jit/jit_unwind.hpp"

namespace bpfrt {

// Its per-slot tables come from the memory resource it is built with (a CompileArena's).
struct JitInput {
  explicit JitInput(std::pmr::memory_resource* mem)
      : lddw_values(mem), helper_fns(mem), calls_back(mem), map_shortcuts(mem), resource(mem) {}

  const Program* program = nullptr;
  const EngineOptions* options = nullptr;
  std::pmr::vector<uint64_t> lddw_values;  // per slot: the constant an lddw loads (resolved pseudo sources)
  std::pmr::vector<HelperFn> helper_fns;   // per slot: the function a `call imm` reaches
  // per slot: a helper call (or callx) that may call back into the program (RunContext::call_function);
  // empty when none does.
  std::pmr::vector<bool> calls_back;
  // per lddw slot of a map (map_fd, map_idx): how a bpf_map_lookup_elem on it may skip the helper
  // (EngineOptions::map_lookup_shortcut); empty when nothing describes maps.
  std::pmr::vector<MapLookupShortcut> map_shortcuts;
  // callx fast path: helper functions by id for ids below the table size (null where none).
  const HelperFn* callx_table = nullptr;
  size_t callx_table_size = 0;
  // Called by the code when a direct run (args = null) ends abnormally.
  void (*direct_fault)(const JitState* state, const void* engine) = nullptr;
  const void* engine = nullptr;         // the Engine, for region checks, callx lookups and direct_fault
  std::pmr::memory_resource* resource;  // for compile_jit's own tables
};

struct JitCompileOptions {
  // BMI2 shifts (shlx/shrx/sarx) need no rcx juggling; off on CPUs without BMI2, and in tests that
  // exercise the fallback.
  bool use_bmi2 = true;
};

struct JitStats {
  size_t checked_accesses = 0;  // memory accesses with a run-time bounds check
  size_t proven_accesses = 0;   // accesses whose check was dropped (stack frame, proven_safe, unchecked)
  size_t merged_checks = 0;     // block-wide checks standing in for two or more accesses' checks
  size_t inlined_lookups = 0;   // bpf_map_lookup_elem calls emitted inline (array maps)
  size_t direct_lookups = 0;    // bpf_map_lookup_elem calls emitted as a direct call of the map's lookup
  size_t combined_loads = 0;    // byte-by-byte reassemblies emitted as one wide load (fast copies)
  size_t dropped_insns = 0;     // instructions the fast copies leave out (dead, or changing nothing)
  size_t code_bytes = 0;
};

struct JitCode {
  CodeBuffer code;  // starts with the JitEntry
  JitStats stats;
  // The entry also serves Engine::run(ctx, len) directly (args = null): the program calls no
  // helpers, has no legacy packet loads and its frames fit in the code's native frame.
  bool direct = false;
  // Callbacks: the offset of the JitCallbackEntry, and each lddw func target's code offset, by slot
  // (sorted). No entry (SIZE_MAX) when the program calls no helper that could run callbacks.
  size_t callback_entry = SIZE_MAX;
  std::vector<std::pair<uint32_t, uint32_t>> callbacks;
  // How the code's frames are built, for its unwind information.
  std::vector<JitFrameLayout> frames;
};

// True if this CPU has BMI2.
bool cpu_has_bmi2();

[[nodiscard]] Result<JitCode> compile_jit(const JitInput& input, const JitCompileOptions& options);

}  // namespace bpfrt
