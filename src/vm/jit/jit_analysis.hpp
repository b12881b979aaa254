// What the JIT learns about a program before emitting it: where basic blocks start and how many
// instructions each one holds (for per-block budget counting), which blocks local calls enter, and,
// for each load, store and atomic, what its base register points to. A base that provably equals
// r10 + k lets an access inside the current stack frame skip its run-time check; a base derived from
// r10 makes the check try the stack before the context.
// Thread-safety: pure function of the program.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "bpfrt/isa.hpp"

namespace bpfrt {

// What a register holds, as far as a simple forward dataflow over the blocks can tell.
struct PointerFact {
  enum class Kind : uint8_t {
    kUnknown,  // anything
    kStack,    // r10 plus some unknown amount (a heuristic only: never used to drop a check)
    kStackAt,  // exactly r10 + offset, on every path
  };
  Kind kind = Kind::kUnknown;
  int64_t offset = 0;

  friend bool operator==(const PointerFact&, const PointerFact&) = default;
};

using RegisterFacts = std::array<PointerFact, kNumRegisters>;

struct ProgramAnalysis {
  std::vector<bool> leader;           // per slot: a basic block starts here
  std::vector<uint32_t> block_insns;  // at leaders: instructions (not slots) up to the block's end
  std::vector<bool> call_target;      // per slot: a local call enters here
  bool has_local_calls = false;
  std::vector<PointerFact> base;  // per slot: the base register of a load, store or atomic
};

[[nodiscard]] ProgramAnalysis analyze_program(const Program& program);

// True if the instruction ends a basic block (jumps, calls, exit).
bool ends_block(Form form);

}  // namespace bpfrt
