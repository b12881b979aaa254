// Better code than one x86 sequence per BPF instruction, for the JIT's normal (fast) copy of each
// block: byte-at-a-time reassembly of a wider value -- (p[0] << 8) | p[1], the way BPF C reads
// big-endian header fields without unaligned loads -- becomes one wide load (and a byte swap), and the
// instructions that only fed it are dropped as dead code. An `and` with a register holding a mask
// that BPF cannot encode as an immediate (lddw r2, 0xf0000000) uses x86's 32-bit immediate form,
// which often leaves the lddw dead. Also dropped: `and` and 32-bit moves that provably leave their
// register unchanged, and the mask of `mov r4, r3; and r4, 0xf0000000; rsh r4, 28` (a rotate as clang
// writes it for BPF), which becomes `mov r4d, r3d; shr r4, 28`.
//
// Only accesses that need no check of their own in the fast copy take part (proven safe, unchecked,
// or covered by the block's merged check), so no fault moves to another instruction; the block's slow
// copy, which checks every access, still runs the program instruction by instruction.
// Internal to src/vm/jit. Not thread-safe: one LoadCombiner per compilation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <span>
#include <vector>

#include "bpfrt/isa.hpp"

#include "vm/jit/jit_analysis.hpp"

namespace bpfrt {

// What the fast copy emits for one instruction slot.
struct SlotRewrite {
  enum class Kind : uint8_t {
    kAsIs,      // the instruction itself
    kDrop,      // nothing: its result is never read, or it leaves its register unchanged
    kWideLoad,  // dst = zero-extended `width`-byte load at [base + off], byte-swapped if `swap`, << shift
    kAndImm,    // dst &= off: an `and` with a register known to hold that constant (width 4: 32-bit and)
    kMov32,     // dst = (u32)src: a move whose upper half the next two instructions clear and shift out
  };
  Kind kind = Kind::kAsIs;
  uint8_t base = 0;
  uint8_t width = 0;  // kWideLoad: 2, 4 or 8; kAndImm: 4 or 8
  bool swap = false;
  uint8_t shift = 0;  // bits, a multiple of 8
  int32_t off = 0;    // kAndImm: the immediate
};

class LoadCombiner {
 public:
  // Cheap when the program has nothing to combine: enabled() is then false and plan_block does nothing.
  LoadCombiner(const Program& program, const ProgramAnalysis& analysis, std::pmr::memory_resource* mem);

  bool enabled() const { return enabled_; }

  // Plans the fast copy of the block starting at `leader`. `unchecked[slot]` is nonzero for a load
  // that needs no check of its own there. Fills out[slot] for the block's slots; returns true if any
  // slot is not kAsIs.
  bool plan_block(size_t leader, std::span<const uint8_t> unchecked, std::span<SlotRewrite> out);

  size_t combined_loads() const { return combined_; }
  size_t dropped_insns() const { return dropped_; }

 private:
  uint32_t reads(size_t slot) const;
  uint32_t kills(size_t slot) const;
  bool worth_planning(size_t leader) const;
  bool shift_out_mask(size_t slot, uint32_t shift, std::span<SlotRewrite> out) const;
  void compute_liveness();
  void drop_dead(size_t leader, std::span<const uint8_t> unchecked, std::span<SlotRewrite> out);

  const Program& program_;
  const ProgramAnalysis& analysis_;
  bool enabled_ = false;
  bool whole_frame_exits_ = false;       // exits may return to a caller: they read every register
  std::pmr::vector<uint32_t> block_;     // per slot: the index of its block
  std::pmr::vector<uint32_t> leaders_;   // per block: its leader slot
  std::pmr::vector<uint16_t> live_in_;   // per block: registers live on entry (the program as written)
  std::pmr::vector<uint16_t> live_out_;  // per block: registers live on exit
  std::pmr::vector<uint32_t> slots_;     // the slots of the block being planned
  size_t combined_ = 0;
  size_t dropped_ = 0;
};

}  // namespace bpfrt
