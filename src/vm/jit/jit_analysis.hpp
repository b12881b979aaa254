// What the JIT learns about a program before emitting it: where basic blocks start and how many
// instructions each one holds (for per-block budget counting), which blocks local calls enter, and,
// for each load, store and atomic, what its base register points to. A base that provably equals
// r10 + k lets an access inside the current stack frame skip its run-time check; a base derived from
// r10 makes the check try the stack before the context.
// Thread-safety: pure function of the program.
#pragma once

#include <array>
#include <cstdint>
#include <memory_resource>
#include <vector>

#include "bpfrt/isa.hpp"

namespace bpfrt {

// What a register holds, as far as a simple forward dataflow over the blocks can tell: a pointer into
// the current stack frame (relative to r10) or into the context (relative to r1 on entry), exactly
// or give or take an unknown amount. Only exact facts are used to drop or simplify checks; inexact
// ones just order them.
struct PointerFact {
  enum class Region : uint8_t { kNone, kStack, kCtx };
  Region region = Region::kNone;
  bool exact = false;  // the value is exactly base + offset on every path
  int32_t offset = 0;

  bool is(Region r) const { return region == r; }
  bool exactly(Region r) const { return region == r && exact; }
  friend bool operator==(const PointerFact&, const PointerFact&) = default;
};

using RegisterFacts = std::array<PointerFact, kNumRegisters>;

// Its tables come from the memory resource analyze_program is given (a CompileArena's).
struct ProgramAnalysis {
  explicit ProgramAnalysis(std::pmr::memory_resource* mem)
      : leader(mem), block_insns(mem), call_target(mem), callback_targets(mem), base(mem), reads(mem), writes(mem) {}

  std::pmr::vector<uint8_t> leader;        // per slot: a basic block starts here
  std::pmr::vector<uint32_t> block_insns;  // at leaders: instructions (not slots) up to the block's end
  std::pmr::vector<uint8_t> call_target;   // per slot: a local call enters here
  bool has_local_calls = false;
  // Subprograms an `lddw func` names (callbacks for bpf_loop & co.): block leaders entered like local
  // calls, through the callback entry. Sorted, without duplicates.
  std::pmr::vector<uint32_t> callback_targets;
  // per slot: the base register of a load, store or atomic; r2 (a map lookup's key) at a helper call
  std::pmr::vector<PointerFact> base;
  // per slot: the registers the instruction reads and writes (registers_read / registers_written)
  std::pmr::vector<uint16_t> reads;
  std::pmr::vector<uint16_t> writes;
  uint32_t regs_read = 0;         // bit per BPF register some instruction reads
  uint32_t regs_written = 0;      // bit per BPF register some instruction writes
  uint32_t unwritten_reads = 0;   // registers some path reads before writing them (they start at 0)
  bool has_helper_calls = false;  // call imm or callx
  bool has_callx = false;
  bool has_packet_loads = false;  // ldabs, ldind
};

[[nodiscard]] ProgramAnalysis analyze_program(const Program& program,
                                              std::pmr::memory_resource* mem = std::pmr::get_default_resource());

// The slot after the instruction at i: an lddw's second slot has no op of its own.
size_t next_slot(const Program& program, size_t i);

// True if the instruction ends a basic block (jumps, calls, exit).
bool ends_block(Form form);

// The registers an instruction reads and writes, as bit masks (calls read and clobber r1-r5).
uint32_t registers_read(const OpInfo& info, const Instruction& insn);
uint32_t registers_written(const OpInfo& info, const Instruction& insn);

}  // namespace bpfrt
