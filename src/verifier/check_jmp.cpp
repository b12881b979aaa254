// Conditional jumps: each feasible side continues with its operands narrowed (scalars by the comparison,
// maybe-NULL pointers by a NULL check, packet pointers by a comparison with data_end). A side whose
// condition is impossible is not explored.
#include <optional>

#include <fmt/format.h>

#include "verifier/verifier_env.hpp"

namespace bpfrt::verifier {
namespace {

constexpr uint64_t kMaxPacketOff = 0xffff;

CmpOp cmp_op(uint8_t opcode) {
  switch (opcode & 0xf0) {
    case 0x10:
      return CmpOp::kEq;
    case 0x20:
      return CmpOp::kGt;
    case 0x30:
      return CmpOp::kGe;
    case 0x40:
      return CmpOp::kSet;
    case 0x50:
      return CmpOp::kNe;
    case 0x60:
      return CmpOp::kSgt;
    case 0x70:
      return CmpOp::kSge;
    case 0xa0:
      return CmpOp::kLt;
    case 0xb0:
      return CmpOp::kLe;
    case 0xc0:
      return CmpOp::kSlt;
    default:
      return CmpOp::kSle;
  }
}

// Pointers that cannot be NULL, for deciding `ptr == 0` (the kernel's reg_not_null).
bool never_null(const RegState& r) {
  return !r.maybe_null && (r.type == RegType::kMapValue || r.type == RegType::kMapKey || r.type == RegType::kMem);
}

bool is_zero_scalar(const RegState& r) {
  return r.is_const_scalar() && r.var.const_value() == 0;
}

bool is_initial_data(const RegState& r) {
  return r.type == RegType::kPacket && r.off == 0 && r.var.is_const() && r.var.const_value() == 0;
}

void set_packet_range(State& state, const RegState& x, uint32_t range) {
  if (x.off < 0 || x.var.r64.umax > kMaxPacketOff || x.var.r64.umax + static_cast<uint64_t>(x.off) > kMaxPacketOff) {
    return;  // no usable range
  }
  state.for_each_reg([&](RegState& r) {
    if (r.type == x.type && r.id == x.id) {
      r.range = std::max(r.range, range);
    }
  });
}

}  // namespace

void Verifier::mark_null_checked(State& state, uint32_t id, bool is_null) {
  if (is_null) {
    std::erase_if(state.refs, [id](const RefState& ref) { return ref.id == id; });  // nothing to release
  }
  state.for_each_reg([&](RegState& r) {
    if (!r.maybe_null || r.id != id) {
      return;
    }
    if (is_null) {
      r = RegState::constant(0);
    } else {
      r.maybe_null = false;
      r.id = 0;  // copies no longer need to be told apart; a reservation stays tied by ref_obj_id
    }
  });
}

void Verifier::propagate_linked_scalars(State& state, const RegState& known) {
  if (known.id == 0 || known.type != RegType::kScalar) {
    return;
  }
  state.for_each_reg([&](RegState& r) {
    if (r.type == RegType::kScalar && r.id == known.id) {
      r.var = known.var;
    }
  });
}

bool Verifier::record_linked_scalars(const Instruction& insn, bool reg_form) {
  const uint32_t ids[2] = {cur_.reg(insn.dst).id, reg_form ? cur_.reg(insn.src).id : 0u};
  if (ids[0] == 0 && ids[1] == 0) {
    return false;
  }
  LinkedSet group;
  bool precise = false;
  const int cur = cur_.curframe();
  for (size_t k = 0; k < cur_.frames.size(); ++k) {
    const Frame& f = cur_.frames[k];
    for (size_t r = 0; r < f.regs.size(); ++r) {
      const RegState& reg = f.regs[r];
      const bool operand = static_cast<int>(k) == cur &&
                           (static_cast<int>(r) == insn.dst || (reg_form && static_cast<int>(r) == insn.src));
      if (!operand && reg.type == RegType::kScalar && reg.id != 0 && (reg.id == ids[0] || reg.id == ids[1])) {
        group.push_back(static_cast<uint32_t>(k) << 24 | static_cast<uint32_t>(r));
        precise = precise || reg.precise;
      }
    }
    for (size_t i = 0; i < f.stack.size() && i < 64; ++i) {
      const StackSlot& slot = f.stack[i];
      if (slot.is_spill() && slot.spilled.type == RegType::kScalar && slot.spilled.id != 0 &&
          (slot.spilled.id == ids[0] || slot.spilled.id == ids[1])) {
        group.push_back(static_cast<uint32_t>(k) << 24 | 0x10000u | static_cast<uint32_t>(i));
        precise = precise || slot.spilled.precise;
      }
    }
  }
  if (!group.empty() && !cur_.history.empty()) {
    cur_.linked.push_back(std::move(group));
    cur_.history.back().linked = static_cast<uint16_t>(cur_.linked.size());
  }
  return precise;
}

Result<bool> Verifier::check_cond_jump(const OpInfo& info, const Instruction& insn) {
  const bool is32 = op::cls(info.opcode) == op::kClsJmp32;
  const CmpOp op = cmp_op(info.opcode);
  const bool reg_form = info.form == Form::kJmpReg;
  const int from = cur_.insn;
  const auto target = static_cast<int>(branch_target(program_, static_cast<size_t>(from)));
  const int next = from + 1;
  BPFRT_TRY(check_reg_read(insn.dst));
  if (reg_form) {
    BPFRT_TRY(check_reg_read(insn.src));
  }
  const RegState dst = cur_.reg(insn.dst);
  const RegState src = reg_form ? cur_.reg(insn.src)
                                : RegState::constant(is32 ? static_cast<uint64_t>(static_cast<uint32_t>(insn.imm))
                                                          : static_cast<uint64_t>(static_cast<int64_t>(insn.imm)));

  // Continues on the feasible sides: the jump target is pushed, the fall-through goes on.
  auto follow = [&](bool taken_ok, bool fall_ok, auto&& apply) -> bool {
    if (taken_ok && fall_ok) {
      State taken = cur_;
      apply(taken, true);
      taken.insn = target;
      push_branch(std::move(taken), from);
      apply(cur_, false);
      cur_.insn = next;
      return true;
    }
    if (!taken_ok && !fall_ok) {
      return false;  // this path contradicts itself: nothing below it runs
    }
    apply(cur_, taken_ok);
    cur_.insn = taken_ok ? target : next;
    return true;
  };

  if (dst.type == RegType::kScalar && src.type == RegType::kScalar) {
    RegState dst_taken = dst;
    RegState src_taken = src;
    RegState dst_fall = dst;
    RegState src_fall = src;
    const bool taken_ok = refine_compare(op, dst_taken.var, src_taken.var, is32);
    const bool fall_ok = refine_compare(negate(op), dst_fall.var, src_fall.var, is32);
    // Precision: a branch that can only go one way relied on the operands' ranges; narrowing a precise
    // register (or a copy linked to an operand) makes its range depend on the other operand.
    const bool linked_precise = record_linked_scalars(insn, reg_form);
    if (!taken_ok || !fall_ok || dst.precise || (reg_form && src.precise) || linked_precise) {
      mark_precise(insn.dst);
      if (reg_form) {
        mark_precise(insn.src);
      }
    }
    auto write = [](State& s, int regno, const RegState& value) {
      const bool precise = s.reg(regno).precise;
      s.reg(regno) = value;
      s.reg(regno).precise = precise;
      propagate_linked_scalars(s, value);
    };
    return follow(taken_ok, fall_ok, [&](State& s, bool taken) {
      write(s, insn.dst, taken ? dst_taken : dst_fall);
      if (reg_form && insn.src != insn.dst) {
        write(s, insn.src, taken ? src_taken : src_fall);
      }
    });
  }

  // NULL checks: a maybe-NULL pointer against 0.
  if (!is32 && (op == CmpOp::kEq || op == CmpOp::kNe)) {
    const RegState* ptr = nullptr;
    if (dst.maybe_null && is_zero_scalar(src)) {
      ptr = &dst;
    } else if (reg_form && src.maybe_null && is_zero_scalar(dst)) {
      ptr = &src;
    }
    if (ptr != nullptr) {
      const uint32_t id = ptr->id;
      const bool taken_null = op == CmpOp::kEq;
      return follow(true, true, [&](State& s, bool taken) { mark_null_checked(s, id, taken == taken_null); });
    }
    if ((never_null(dst) && is_zero_scalar(src)) || (reg_form && never_null(src) && is_zero_scalar(dst))) {
      return follow(op == CmpOp::kNe, op == CmpOp::kEq, [](State&, bool) {});
    }
  }

  // Packet pointers against data_end (and data_meta pointers against data).
  if (reg_form && !is32) {
    const RegState* x = nullptr;
    bool x_is_dst = true;
    if ((dst.type == RegType::kPacket && src.type == RegType::kPacketEnd) ||
        (dst.type == RegType::kPacketMeta && is_initial_data(src))) {
      x = &dst;
    } else if ((dst.type == RegType::kPacketEnd && src.type == RegType::kPacket) ||
               (is_initial_data(dst) && src.type == RegType::kPacketMeta)) {
      x = &src;
      x_is_dst = false;
    }
    const CmpOp rel = x_is_dst ? op : swap(op);  // as "x REL end"
    if (x != nullptr && (rel == CmpOp::kGt || rel == CmpOp::kGe || rel == CmpOp::kLt || rel == CmpOp::kLe)) {
      const RegState xr = *x;
      // The side on which x <= end (range = x.off) or x < end (range = x.off + 1).
      const bool in_taken = rel == CmpOp::kLt || rel == CmpOp::kLe;
      const bool strict = rel == CmpOp::kGe || rel == CmpOp::kLt;
      const auto range = static_cast<uint32_t>(std::max(0, xr.off + (strict ? 1 : 0)));
      // x was proven past data_end on an earlier path (kernel: is_pkt_ptr_branch_taken): x > end is
      // certain for BEYOND, x >= end for AT.
      if (xr.type == RegType::kPacket && xr.end_mark != PktEndMark::kNone) {
        const bool beyond = xr.end_mark == PktEndMark::kBeyondEnd;
        std::optional<bool> taken;
        if (rel == CmpOp::kGt || rel == CmpOp::kLe) {
          if (beyond) {
            taken = rel == CmpOp::kGt;
          }
        } else {  // kGe, kLt: holds for AT and BEYOND alike
          taken = rel == CmpOp::kGe;
        }
        if (taken) {
          return follow(*taken, !*taken, [](State&, bool) {});
        }
      }
      const int x_regno = x_is_dst ? insn.dst : insn.src;
      return follow(true, true, [&](State& s, bool taken) {
        if (taken == in_taken) {
          set_packet_range(s, xr, range);
        } else if (xr.type == RegType::kPacket) {
          // The other side: x > end (rel kGt / kLe) or x >= end (kGe / kLt) (kernel: mark_pkt_end).
          s.reg(x_regno).end_mark = strict ? PktEndMark::kAtEnd : PktEndMark::kBeyondEnd;
        }
      });
    }
  }

  // Any other comparison involving a pointer teaches nothing; it reveals the address unless leaks are
  // allowed.
  if (!allow_ptr_leaks()) {
    const int regno = dst.is_pointer() ? insn.dst : insn.src;
    return refuse(fmt::format("R{} pointer comparison prohibited", regno));
  }
  return follow(true, true, [](State&, bool) {});
}

}  // namespace bpfrt::verifier
