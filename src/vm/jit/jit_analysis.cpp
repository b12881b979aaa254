#include "vm/jit/jit_analysis.hpp"

#include <algorithm>
#include <optional>

namespace bpfrt {
namespace {

using Region = PointerFact::Region;

constexpr int64_t kMaxTrackedOffset = int64_t{1} << 30;

PointerFact unknown() {
  return {};
}

PointerFact exactly(Region region, int32_t offset) {
  return {region, true, offset};
}

PointerFact somewhere_in(Region region) {
  return {region, false, 0};
}

PointerFact join(const PointerFact& a, const PointerFact& b) {
  if (a == b) {
    return a;
  }
  return a.region == b.region ? somewhere_in(a.region) : unknown();
}

bool is_pointer(const PointerFact& f) {
  return f.region != Region::kNone;
}

PointerFact offset_by(PointerFact f, int64_t delta) {
  if (f.exact) {
    const int64_t offset = f.offset + delta;
    if (offset > kMaxTrackedOffset || offset < -kMaxTrackedOffset) {
      return somewhere_in(f.region);
    }
    f.offset = static_cast<int32_t>(offset);
  }
  return f;
}

void clobber_call_registers(RegisterFacts& s) {
  for (int r = 0; r <= 5; ++r) {
    s[r] = unknown();
  }
}

// The effect of one instruction on the facts.
void transfer(const Program& program, size_t i, RegisterFacts& s) {
  const OpInfo& info = *program.op_at(i);
  const Instruction& insn = program[i];
  switch (info.form) {
    case Form::kAluImm:
    case Form::kAluReg:
    case Form::kAluUnary:
      switch (info.id) {
        case Op::kMov64Reg:
          s[insn.dst] = s[insn.src];
          break;
        case Op::kAdd64Imm:
          s[insn.dst] = offset_by(s[insn.dst], insn.imm);
          break;
        case Op::kSub64Imm:
          s[insn.dst] = offset_by(s[insn.dst], -static_cast<int64_t>(insn.imm));
          break;
        case Op::kAdd64Reg:
          // Pointer plus scalar stays a pointer into the same region; the amount is unknown.
          if (is_pointer(s[insn.dst]) != is_pointer(s[insn.src])) {
            s[insn.dst] = somewhere_in(is_pointer(s[insn.dst]) ? s[insn.dst].region : s[insn.src].region);
          } else {
            s[insn.dst] = unknown();
          }
          break;
        case Op::kSub64Reg:
          s[insn.dst] =
              is_pointer(s[insn.dst]) && !is_pointer(s[insn.src]) ? somewhere_in(s[insn.dst].region) : unknown();
          break;
        default:
          s[insn.dst] = unknown();
          break;
      }
      break;
    case Form::kEndian:
    case Form::kLoad:
    case Form::kLddw:
      s[insn.dst] = unknown();
      break;
    case Form::kAtomic:
      if (info.id == Op::kAtomicCmpxchg64 || info.id == Op::kAtomicCmpxchg32) {
        s[0] = unknown();
      } else if ((insn.imm & op::kAtomicFetch) != 0) {
        s[insn.src] = unknown();
      }
      break;
    case Form::kLdAbs:
    case Form::kLdInd:
      s[0] = unknown();
      break;
    case Form::kCallHelper:
    case Form::kCallKfunc:
    case Form::kCallx:
    case Form::kCallLocal:  // r6-r10 come back as they were
      clobber_call_registers(s);
      break;
    default:
      break;
  }
}

// The slot a jump or local call at i lands on.
size_t target_of(const Program& program, size_t i) {
  const Instruction& insn = program[i];
  const Form form = program.op_at(i)->form;
  const int64_t delta = form == Form::kJa32 || form == Form::kCallLocal ? insn.imm : insn.offset;
  return static_cast<size_t>(static_cast<int64_t>(i) + 1 + delta);
}

// The subprogram an `lddw func` at i names.
size_t target_of_func(const Program& program, size_t i) {
  return static_cast<size_t>(static_cast<int64_t>(i) + 1 + program[i].imm);
}

// At a local call's target only r10 is known; at the program's entry r1 is the context too.
RegisterFacts entry_facts(bool program_entry) {
  RegisterFacts s{};
  s[kFramePointer] = exactly(Region::kStack, 0);
  if (program_entry) {
    s[1] = exactly(Region::kCtx, 0);
  }
  return s;
}

uint32_t bit(int reg) {
  return uint32_t{1} << reg;
}

constexpr uint32_t kArgRegs = 0b111110;

// Per operation, what registers_read / registers_written compute, as "dst and/or src, plus these
// fixed registers", so the analysis looks it up instead of branching per instruction.
struct RegisterUse {
  uint16_t read_fixed = 0;
  uint16_t write_fixed = 0;
  bool read_dst = false, read_src = false, write_dst = false, write_src = false;
};

RegisterUse register_use_of(const OpInfo& info);

const std::array<RegisterUse, kNumOps>& register_use_table() {
  static const std::array<RegisterUse, kNumOps> table = [] {
    std::array<RegisterUse, kNumOps> t{};
    for (int o = 0; o < kNumOps; ++o) {
      t[static_cast<size_t>(o)] = register_use_of(op_info(static_cast<Op>(o)));
    }
    return t;
  }();
  return table;
}

uint32_t reads_of(const RegisterUse& u, const Instruction& insn) {
  return u.read_fixed | (u.read_dst ? bit(insn.dst) : 0) | (u.read_src ? bit(insn.src) : 0);
}

uint32_t writes_of(const RegisterUse& u, const Instruction& insn) {
  return u.write_fixed | (u.write_dst ? bit(insn.dst) : 0) | (u.write_src ? bit(insn.src) : 0);
}

}  // namespace

uint32_t registers_read(const OpInfo& info, const Instruction& insn) {
  switch (info.form) {
    case Form::kAluImm:
      return info.id == Op::kMov64Imm || info.id == Op::kMov32Imm ? 0 : bit(insn.dst);
    case Form::kAluReg:
      return info.id == Op::kMov64Reg || info.id == Op::kMov32Reg || info.id == Op::kMovsx8To64 ||
                     info.id == Op::kMovsx16To64 || info.id == Op::kMovsx32To64 || info.id == Op::kMovsx8To32 ||
                     info.id == Op::kMovsx16To32
                 ? bit(insn.src)
                 : bit(insn.dst) | bit(insn.src);
    case Form::kAluUnary:
    case Form::kEndian:
    case Form::kStoreImm:
    case Form::kJmpImm:
      return bit(insn.dst);
    case Form::kLoad:
    case Form::kLdInd:
      return bit(insn.src);
    case Form::kStoreReg:
    case Form::kJmpReg:
      return bit(insn.dst) | bit(insn.src);
    case Form::kAtomic:
      return bit(insn.dst) | bit(insn.src) |
             (info.id == Op::kAtomicCmpxchg64 || info.id == Op::kAtomicCmpxchg32 ? bit(0) : 0);
    case Form::kCallHelper:
    case Form::kCallKfunc:
      return kArgRegs;
    case Form::kCallx:
      return bit(insn.dst) | kArgRegs;
    case Form::kExit:
      return bit(0);
    default:
      return 0;
  }
}

uint32_t registers_written(const OpInfo& info, const Instruction& insn) {
  switch (info.form) {
    case Form::kAluImm:
    case Form::kAluReg:
    case Form::kAluUnary:
    case Form::kEndian:
    case Form::kLoad:
    case Form::kLddw:
      return bit(insn.dst);
    case Form::kAtomic:
      if (info.id == Op::kAtomicCmpxchg64 || info.id == Op::kAtomicCmpxchg32) {
        return bit(0);
      }
      return (insn.imm & op::kAtomicFetch) != 0 ? bit(insn.src) : 0;
    case Form::kLdAbs:
    case Form::kLdInd:
      return bit(0);
    case Form::kCallHelper:
    case Form::kCallKfunc:
    case Form::kCallx:
      return bit(0) | kArgRegs;
    default:
      return 0;
  }
}

namespace {

// Evaluates the two functions on the operation with dst = r7 and src = r8, registers no fixed mask
// contains (the fixed ones are r0 and the argument registers r1-r5).
RegisterUse register_use_of(const OpInfo& info) {
  Instruction insn;
  insn.opcode = info.opcode;
  insn.dst = 7;
  insn.src = 8;
  if (info.disc == Disc::kImm) {
    insn.imm = info.disc_value;  // atomics: which operation, and whether it fetches
  }
  const uint32_t mine = bit(7) | bit(8);
  const uint32_t r = registers_read(info, insn);
  const uint32_t w = registers_written(info, insn);
  RegisterUse u;
  u.read_fixed = static_cast<uint16_t>(r & ~mine);
  u.write_fixed = static_cast<uint16_t>(w & ~mine);
  u.read_dst = (r & bit(7)) != 0;
  u.read_src = (r & bit(8)) != 0;
  u.write_dst = (w & bit(7)) != 0;
  u.write_src = (w & bit(8)) != 0;
  return u;
}

}  // namespace

size_t next_slot(const Program& program, size_t i) {
  return i + 1 < program.size() && program.op_at(i + 1) == nullptr ? i + 2 : i + 1;
}

bool ends_block(Form form) {
  switch (form) {
    case Form::kJa:
    case Form::kJa32:
    case Form::kJmpImm:
    case Form::kJmpReg:
    case Form::kCallHelper:
    case Form::kCallLocal:
    case Form::kCallKfunc:
    case Form::kCallx:
    case Form::kExit:
      return true;
    default:
      return false;
  }
}

ProgramAnalysis analyze_program(const Program& program, std::pmr::memory_resource* mem) {
  const size_t n = program.size();
  ProgramAnalysis a(mem);
  a.leader.assign(n, 0);
  a.block_insns.assign(n, 0);
  a.call_target.assign(n, 0);
  a.base.assign(n, PointerFact{});
  a.reads.assign(n, 0);
  a.writes.assign(n, 0);
  a.leader[0] = 1;
  const std::array<RegisterUse, kNumOps>& uses = register_use_table();
  // Accumulated in locals: stores into the tables would otherwise force them back to memory.
  uint32_t regs_read = 0;
  uint32_t regs_written = 0;
  bool local_calls = false;
  bool helper_calls = false;
  bool callx = false;
  bool packet_loads = false;
  uint8_t* const leader = a.leader.data();
  uint8_t* const call_target = a.call_target.data();
  for (size_t i = 0; i < n; i = next_slot(program, i)) {
    const OpInfo& info = *program.op_at(i);
    const Instruction& insn = program[i];
    const Form form = info.form;
    if (form == Form::kJa || form == Form::kJa32 || form == Form::kJmpImm || form == Form::kJmpReg ||
        form == Form::kCallLocal) {
      leader[target_of(program, i)] = 1;
    }
    if (form == Form::kCallLocal) {
      call_target[target_of(program, i)] = 1;
      local_calls = true;
    }
    if (form == Form::kLddw && insn.src == static_cast<uint8_t>(LddwSrc::kFunc)) {
      // The engine refuses targets outside the program before compiling.
      const size_t target = target_of_func(program, i);
      leader[target] = 1;
      call_target[target] = 1;
      a.callback_targets.push_back(static_cast<uint32_t>(target));
    }
    helper_calls |= form == Form::kCallHelper || form == Form::kCallx;
    callx |= form == Form::kCallx;
    packet_loads |= form == Form::kLdAbs || form == Form::kLdInd;
    const RegisterUse& use = uses[static_cast<size_t>(info.id)];
    const uint32_t reads = reads_of(use, insn);
    const uint32_t writes = writes_of(use, insn);
    a.reads[i] = static_cast<uint16_t>(reads);
    a.writes[i] = static_cast<uint16_t>(writes);
    regs_read |= reads;
    regs_written |= writes;
    if (ends_block(form) && i + 1 < n) {
      leader[i + 1] = 1;
    }
  }
  a.regs_read = regs_read;
  a.regs_written = regs_written;
  a.has_local_calls = local_calls;
  a.has_helper_calls = helper_calls;
  a.has_callx = callx;
  a.has_packet_loads = packet_loads;

  std::sort(a.callback_targets.begin(), a.callback_targets.end());
  a.callback_targets.erase(std::unique(a.callback_targets.begin(), a.callback_targets.end()), a.callback_targets.end());

  // Block extents: each leader's block runs up to the next leader (the slot after a block-ending
  // instruction is one).
  struct Block {
    size_t first, last;
  };
  std::pmr::vector<Block> blocks(mem);
  blocks.reserve(static_cast<size_t>(std::count(a.leader.begin(), a.leader.end(), uint8_t{1})));
  std::pmr::vector<uint32_t> block_at(n, UINT32_MAX, mem);  // leader slot -> block
  for (size_t i = 0; i < n;) {
    size_t j = i;
    uint32_t count = 0;
    while (true) {
      ++count;
      const size_t next = next_slot(program, j);
      if (next >= n || a.leader[next] != 0) {
        break;
      }
      j = next;
    }
    a.block_insns[i] = count;
    block_at[i] = static_cast<uint32_t>(blocks.size());
    blocks.push_back({i, j});
    i = next_slot(program, j);
  }

  // Forward dataflow to a fixpoint; blocks never reached keep no facts (and so no dropped checks).
  // Alongside the pointer facts: which registers every path has written (a must-analysis).
  // The pending block with the lowest index goes first, so a program without backward jumps visits
  // every block once, after all its predecessors. Each visit records the facts of the block's
  // accesses; a block's in-state only changes before it is queued again, so its last visit records
  // the fixpoint's facts.
  struct State {
    RegisterFacts facts;
    uint32_t defined;
    bool operator==(const State&) const = default;
  };
  std::pmr::vector<State> in(blocks.size(), mem);
  std::pmr::vector<uint8_t> reached(blocks.size(), 0, mem);
  std::pmr::vector<uint8_t> pending(blocks.size(), 0, mem);
  std::pmr::vector<uint32_t> unwritten(blocks.size(), 0, mem);  // per block: registers read before written
  size_t cursor = blocks.size();                                // no pending block below this one
  auto merge_into = [&](size_t slot, const State& state) {
    const uint32_t b = block_at[slot];
    if (reached[b] == 0) {
      reached[b] = 1;
      in[b] = state;
    } else if (state == in[b]) {
      return;  // e.g. both edges of a conditional jump to the next instruction
    } else {
      State joined;
      for (int r = 0; r < kNumRegisters; ++r) {
        joined.facts[r] = join(in[b].facts[r], state.facts[r]);
      }
      joined.defined = in[b].defined & state.defined;
      if (joined == in[b]) {
        return;
      }
      in[b] = joined;
    }
    pending[b] = 1;
    cursor = std::min<size_t>(cursor, b);
  };
  // r1, r2 and r10 hold the context, its length and the stack top; a local call's target is entered
  // with whatever its callers left, so nothing is taken as written there but r10.
  merge_into(0, State{entry_facts(true), bit(1) | bit(2) | bit(kFramePointer)});
  for (size_t i = 0; i < n; ++i) {
    if (a.call_target[i]) {
      merge_into(i, State{entry_facts(false), bit(kFramePointer)});
    }
  }
  while (cursor < blocks.size()) {
    const size_t b = cursor;
    if (pending[b] == 0) {
      ++cursor;
      continue;
    }
    pending[b] = 0;
    State s = in[b];
    uint32_t reads_before_writes = 0;
    size_t j = blocks[b].first;
    for (;; j = next_slot(program, j)) {
      const OpInfo& info = *program.op_at(j);
      const Instruction& insn = program[j];
      if (info.form == Form::kLoad) {
        a.base[j] = s.facts[insn.src];
      } else if (info.form == Form::kStoreImm || info.form == Form::kStoreReg || info.form == Form::kAtomic) {
        a.base[j] = s.facts[insn.dst];
      } else if (info.form == Form::kCallHelper) {
        a.base[j] = s.facts[2];  // the key of a map lookup
      }
      reads_before_writes |= a.reads[j] & ~s.defined;
      transfer(program, j, s.facts);
      s.defined |= a.writes[j];
      if (j == blocks[b].last) {
        break;
      }
    }
    unwritten[b] = reads_before_writes;
    const Form form = program.op_at(j)->form;
    if (form == Form::kJa || form == Form::kJa32 || form == Form::kJmpImm || form == Form::kJmpReg) {
      merge_into(target_of(program, j), s);
    }
    if (form != Form::kJa && form != Form::kJa32 && form != Form::kExit && next_slot(program, j) < n) {
      merge_into(next_slot(program, j), s);
    }
  }
  for (size_t b = 0; b < blocks.size(); ++b) {
    a.unwritten_reads |= unwritten[b];
  }
  return a;
}

}  // namespace bpfrt
