// The program's static structure, computed before any path is explored: subprograms (entry 0, the
// targets of local calls and of lddw func), the checks that need no abstract state (jumps stay inside
// their subprogram, each subprogram ends in exit or a jump, every instruction is reachable), the
// instructions where states are stored for pruning, and register liveness.
// Thread-safety: immutable after build_cfg.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "bpfrt/helper.hpp"
#include "bpfrt/isa.hpp"
#include "bpfrt/result.hpp"

namespace bpfrt::verifier {

struct Subprog {
  size_t start = 0;
  size_t end = 0;  // one past the last slot
};

struct Cfg {
  std::vector<Subprog> subprogs;  // sorted by start
  std::vector<int> subprog_of;    // per slot
  std::vector<bool> prune_point;  // states are stored and compared here
  // Per slot, bit r set if register r may be read before it is written on some path from there,
  // within the slot's subprogram (r0 is read by exit).
  std::vector<uint16_t> live_in;

  int subprog_starting_at(size_t insn) const;  // -1 if none
};

// The slot a jump, local call or lddw func at `index` refers to (index + 1 + offset or immediate).
size_t branch_target(const Program& program, size_t index);

// Number of argument registers a helper call reads (by its prototype; 5 if unknown).
int helper_arg_count(const HelperTable* helpers, int32_t id);

// Fails with the kernel's wording: "jump out of range from insn 3 to 9", "unreachable insn 7", ...
Result<Cfg> build_cfg(const Program& program, const HelperTable* helpers);

}  // namespace bpfrt::verifier
