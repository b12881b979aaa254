// Precision tracking, as the kernel does it since 5.3 (kernel/bpf/verifier.c, mark_chain_precision).
//
// Pruning compares a scalar's range only if some check on the explored path relied on that range:
// pointer arithmetic, a helper's size argument, a branch that could go only one way, a return-value
// range. Such a check marks the register "precise" and walks back along the path, through the
// instructions recorded in State::history and into each stored ancestor state, marking whatever the
// value was computed from. Scalars never marked may differ between an old state and a new one without
// preventing pruning, which is what lets loops with counters and accumulators converge.
//
// Rules that keep this sound: a stored state's marks are final once its exploration ends (every
// descendant's request walks through it; a path pruned against a state inherits that state's marks);
// the current state forgets its marks whenever a state is stored, so a mark in the current state
// always covers what happened since; a branch that narrows a precise register makes the other operand
// precise too; and when the walk cannot follow (callbacks, an overlong history) every scalar on the
// path becomes precise.
#include "verifier/verifier_env.hpp"

namespace bpfrt::verifier {
namespace {

constexpr uint16_t reg_bit(int r) {
  return static_cast<uint16_t>(1u << r);
}
constexpr uint16_t kArgRegs = 0x3e;      // r1-r5
constexpr uint16_t kCallerSaved = 0x3f;  // r0-r5

bool is_mov(const OpInfo& info) {
  const uint8_t cls = op::cls(info.opcode);
  return (cls == op::kClsAlu || cls == op::kClsAlu64) && (info.opcode & 0xf0) == 0xb0;
}

}  // namespace

void Verifier::forget_precision(State& state) {
  state.for_each_reg([](RegState& r) { r.precise = false; });
}

void Verifier::note_spill_slot(int frameno, int offset) {
  if (cur_.history.empty()) {
    return;
  }
  HistEntry& e = cur_.history.back();
  e.stack_frame = static_cast<int8_t>(frameno);
  e.slot = static_cast<int16_t>((-offset - 1) / 8);
}

void Verifier::mark_precise(int regno) {
  // Already precise here means the walk for this value was done (a mark in the current state is only
  // ever set by a walk, or copied from a register that had one).
  if (cur_.reg(regno).type != RegType::kScalar || cur_.reg(regno).precise) {
    return;
  }
  Backtrack bt;
  bt.regs[static_cast<size_t>(cur_.curframe())] = reg_bit(regno);
  mark_precise(bt);
}

void Verifier::propagate_precision(const State& old) {
  Backtrack bt;
  for (size_t k = 0; k < old.frames.size() && k < bt.regs.size(); ++k) {
    const Frame& f = old.frames[k];
    const uint16_t live = live_regs(old, k);
    for (size_t r = 0; r < f.regs.size(); ++r) {
      if ((live & reg_bit(static_cast<int>(r))) != 0 && f.regs[r].type == RegType::kScalar && f.regs[r].precise) {
        bt.regs[k] |= reg_bit(static_cast<int>(r));
      }
    }
    for (size_t i = 0; i < f.stack.size() && i < 64; ++i) {
      if (f.stack[i].is_spill() && f.stack[i].spilled.type == RegType::kScalar && f.stack[i].spilled.precise) {
        bt.slots[k] |= uint64_t{1} << i;
      }
    }
  }
  if (!bt.empty()) {
    mark_precise(bt);
  }
}

// Sets the marks `bt` asks for in `state`. At a stored ancestor a register already precise there needs
// no further walking: its own ancestors were marked when it became precise.
void Verifier::apply_marks(State& state, Backtrack& bt, bool drop_known) const {
  for (size_t k = 0; k < bt.regs.size(); ++k) {
    if (bt.regs[k] == 0 && bt.slots[k] == 0) {
      continue;
    }
    if (k >= state.frames.size()) {
      bt.regs[k] = 0;
      bt.slots[k] = 0;
      continue;
    }
    Frame& f = state.frames[k];
    for (int r = 0; r < 11; ++r) {
      if ((bt.regs[k] & reg_bit(r)) == 0) {
        continue;
      }
      RegState& reg = f.regs[static_cast<size_t>(r)];
      if (reg.type != RegType::kScalar || (drop_known && reg.precise)) {
        bt.regs[k] &= static_cast<uint16_t>(~reg_bit(r));
      }
      reg.precise = reg.precise || reg.type == RegType::kScalar;
    }
    for (size_t i = 0; i < 64; ++i) {
      if ((bt.slots[k] & (uint64_t{1} << i)) == 0) {
        continue;
      }
      StackSlot* slot = i < f.stack.size() ? &f.stack[i] : nullptr;
      if (slot == nullptr || !slot->is_spill() || slot->spilled.type != RegType::kScalar ||
          (drop_known && slot->spilled.precise)) {
        bt.slots[k] &= ~(uint64_t{1} << i);  // zero or unknown bytes: nothing to follow
      }
      if (slot != nullptr && slot->is_spill() && slot->spilled.type == RegType::kScalar) {
        slot->spilled.precise = true;
      }
    }
  }
}

void Verifier::mark_all_precise() {
  auto mark = [](State& s) { s.for_each_reg([](RegState& r) { r.precise = r.type == RegType::kScalar; }); };
  mark(cur_);
  for (ExploredState* p = cur_.parent; p != nullptr && !p->all_precise; p = p->state.parent) {
    mark(p->state);
    p->all_precise = true;
  }
}

void Verifier::mark_precise(Backtrack bt) {
  if (!options_.track_precision) {
    return;  // every scalar is compared anyway
  }
  State* state = &cur_;
  bool at_current = true;
  for (;;) {
    apply_marks(*state, bt, !at_current);
    if (bt.empty()) {
      return;
    }
    for (size_t i = state->history.size(); i-- > 0;) {
      if (!backtrack_insn(state->history[i], *state, bt)) {
        mark_all_precise();
        return;
      }
      if (bt.empty()) {
        return;
      }
    }
    if (state->parent == nullptr || state->parent->all_precise) {
      return;  // the entry state (context pointer, constants), or nothing left to mark above
    }
    state = &state->parent->state;
    at_current = false;
  }
}

// Turns "precise after instruction e" into "precise before it". Returns false when the walk cannot
// follow the instruction.
bool Verifier::backtrack_insn(const HistEntry& e, const State& state, Backtrack& bt) const {
  const auto frame = static_cast<size_t>(e.frame);
  const OpInfo& info = *program_.op_at(static_cast<size_t>(e.insn));
  const Instruction& insn = program_[static_cast<size_t>(e.insn)];
  // Only the frame executing e and, right after a local call, its callee may have requests.
  for (size_t k = frame + 1; k < bt.regs.size(); ++k) {
    const bool callee_args_only =
        k == frame + 1 && info.form == Form::kCallLocal && (bt.regs[k] & ~kArgRegs) == 0 && bt.slots[k] == 0;
    if ((bt.regs[k] != 0 || bt.slots[k] != 0) && !callee_args_only) {
      return false;
    }
  }
  uint16_t& regs = bt.regs[frame];
  auto has = [&](int r) { return (regs & reg_bit(r)) != 0; };
  auto set = [&](int r) { regs |= reg_bit(r); };
  auto clear = [&](int r) { regs &= static_cast<uint16_t>(~reg_bit(r)); };
  if (e.stack_frame >= 0 && e.slot >= 64) {
    return false;  // beyond the slots a Backtrack tracks (only with a stack larger than 512 bytes)
  }
  auto has_slot = [&]() {
    return e.stack_frame >= 0 && (bt.slots[static_cast<size_t>(e.stack_frame)] & (uint64_t{1} << e.slot)) != 0;
  };
  auto clear_slot = [&]() { bt.slots[static_cast<size_t>(e.stack_frame)] &= ~(uint64_t{1} << e.slot); };

  switch (info.form) {
    case Form::kAluImm:
      if (is_mov(info)) {
        clear(insn.dst);
      }
      return true;
    case Form::kAluReg:
      if (has(insn.dst)) {
        if (is_mov(info)) {
          clear(insn.dst);
        }
        set(insn.src);
      }
      return true;
    case Form::kAluUnary:
    case Form::kEndian:
    case Form::kJa:
    case Form::kJa32:
      return true;
    case Form::kLoad:
      if (has(insn.dst)) {
        clear(insn.dst);
        if (e.stack_frame >= 0) {
          bt.slots[static_cast<size_t>(e.stack_frame)] |= uint64_t{1} << e.slot;
        }
      }
      return true;
    case Form::kStoreImm:
      if (has_slot()) {
        clear_slot();
      }
      return true;
    case Form::kStoreReg:
      if (has_slot()) {
        clear_slot();
        set(insn.src);
      }
      return true;
    case Form::kAtomic:
      if (info.id == Op::kAtomicCmpxchg64 || info.id == Op::kAtomicCmpxchg32) {
        clear(0);
      } else if ((insn.imm & op::kAtomicFetch) != 0) {
        clear(insn.src);
      }
      return true;
    case Form::kLddw:
      clear(insn.dst);
      return true;
    case Form::kLdAbs:
    case Form::kLdInd:
      regs &= static_cast<uint16_t>(~kCallerSaved);
      return true;
    case Form::kJmpImm:
    case Form::kJmpReg: {
      const bool reg_form = info.form == Form::kJmpReg;
      bool touched = has(insn.dst) || (reg_form && has(insn.src));
      const LinkedSet* group = e.linked != 0 ? &state.linked[e.linked - 1u] : nullptr;
      if (group != nullptr) {
        for (uint32_t m : *group) {
          const size_t f = m >> 24;
          const uint32_t index = m & 0xffff;
          touched = touched || ((m & 0x10000) != 0 ? (bt.slots[f] & (uint64_t{1} << index)) != 0
                                                   : (bt.regs[f] & reg_bit(static_cast<int>(index))) != 0);
        }
      }
      if (!touched) {
        return true;
      }
      set(insn.dst);
      if (reg_form) {
        set(insn.src);
      }
      if (group != nullptr) {
        for (uint32_t m : *group) {
          const size_t f = m >> 24;
          const uint32_t index = m & 0xffff;
          if ((m & 0x10000) != 0) {
            bt.slots[f] |= uint64_t{1} << index;
          } else {
            bt.regs[f] |= reg_bit(static_cast<int>(index));
          }
        }
      }
      return true;
    }
    case Form::kCallHelper:
    case Form::kCallx:
      regs &= static_cast<uint16_t>(~kCallerSaved);  // r0 is the helper's, r1-r5 unreadable after
      return true;
    case Form::kCallLocal: {
      // The callee's arguments are the caller's r1-r5.
      const uint16_t args = bt.regs[frame + 1] & kArgRegs;
      bt.regs[frame + 1] = 0;
      regs |= args;
      return true;
    }
    case Form::kCallKfunc:
      return false;
    case Form::kExit: {
      if (frame == 0 || (e.flags & kHistCallbackExit) != 0) {
        return false;
      }
      // The caller's r0 is the callee's; the caller's r1-r5 were unreadable after the call.
      uint16_t& caller = bt.regs[frame - 1];
      if ((caller & kArgRegs) != 0) {
        return false;
      }
      if ((caller & reg_bit(0)) != 0) {
        caller &= static_cast<uint16_t>(~reg_bit(0));
        set(0);
      }
      return true;
    }
  }
  return false;
}

}  // namespace bpfrt::verifier
