// State pruning. A path can stop at an instruction when a state stored there earlier, whose every
// continuation was verified, includes the current one ("old is at least as general as cur": every
// live register and stack byte of old admits what cur holds, and ids link the same things). A state
// still being explored (an ancestor: we are in a loop) never prunes; reaching it again unchanged means
// the loop makes no progress ("infinite loop detected"). Callback helpers are the exception: the
// helper bounds the iterations, so a repeated state there is a fixed point and ends the path.
#include <cstring>

#include <fmt/format.h>

#include "verifier/verifier_env.hpp"

namespace bpfrt::verifier {

// Consistent renaming of ids between an old and a current state.
struct IdMap {
  std::vector<std::pair<uint32_t, uint32_t>>& pairs;
  uint32_t fresh = 0x80000000u;
  explicit IdMap(std::vector<std::pair<uint32_t, uint32_t>>& scratch) : pairs(scratch) { pairs.clear(); }

  // old <-> cur must be a bijection; 0 only matches 0.
  bool link(uint32_t old_id, uint32_t cur_id) {
    if (old_id == 0 || cur_id == 0) {
      return old_id == cur_id;
    }
    for (const auto& [o, c] : pairs) {
      if (o == old_id) {
        return c == cur_id;
      }
      if (c == cur_id) {
        return false;
      }
    }
    pairs.emplace_back(old_id, cur_id);
    return true;
  }
  // Scalar links: an unlinked old scalar accepts anything; an unlinked current scalar gets a fresh id
  // so it can stand in for one old link only.
  bool link_scalar(uint32_t old_id, uint32_t cur_id) {
    if (old_id == 0) {
      return true;
    }
    return link(old_id, cur_id != 0 ? cur_id : ++fresh);
  }
};

namespace {

bool same_pointer_target(const RegState& a, const RegState& b) {
  return a.maybe_null == b.maybe_null && a.read_only == b.read_only && a.off == b.off && a.mem_size == b.mem_size &&
         a.frameno == b.frameno && a.map == b.map && a.subprog == b.subprog;
}

bool old_any_scalar(const RegState& r) {
  return r.type == RegType::kScalar && r.id == 0 && r.var.is_unknown();
}

}  // namespace

bool Verifier::regsafe(const RegState& old_reg, const RegState& cur, IdMap& ids, Compare mode) const {
  if (mode == Compare::kExact) {
    if (old_reg.type != cur.type) {
      return false;
    }
    if (old_reg.type == RegType::kNotInit) {
      return true;
    }
    return same_pointer_target(old_reg, cur) && old_reg.var == cur.var && old_reg.range == cur.range &&
           ids.link(old_reg.id, cur.id) && ids.link(old_reg.ref_obj_id, cur.ref_obj_id);
  }
  if (old_reg.type == RegType::kNotInit) {
    return true;  // the old path never read it
  }
  if (old_reg.type != cur.type) {
    return false;
  }
  if (old_reg.type == RegType::kScalar) {
    if (!old_reg.precise && mode == Compare::kRange) {
      return true;  // nothing below the old state depended on this value
    }
    return old_reg.var.includes(cur.var) && ids.link_scalar(old_reg.id, cur.id);
  }
  if (!same_pointer_target(old_reg, cur) || !old_reg.var.includes(cur.var)) {
    return false;
  }
  if (old_reg.is_packet() && old_reg.range > cur.range) {
    return false;  // the old path relied on more bytes being proven in bounds
  }
  if (old_reg.end_mark != PktEndMark::kNone && old_reg.end_mark != cur.end_mark) {
    return false;  // the old path relied on the pointer being past data_end
  }
  const bool ids_matter = old_reg.maybe_null || old_reg.is_packet() || old_reg.type == RegType::kPacketEnd;
  if (ids_matter && !ids.link(old_reg.id, cur.id)) {
    return false;
  }
  return ids.link(old_reg.ref_obj_id, cur.ref_obj_id);
}

bool Verifier::frames_equal(const Frame& old_frame, const Frame& cur, uint16_t live, IdMap& ids, Compare mode) const {
  const bool exact = mode == Compare::kExact;
  if (old_frame.callsite != cur.callsite || old_frame.subprog != cur.subprog ||
      old_frame.in_callback != cur.in_callback) {
    return false;
  }
  for (int r = 0; r < 11; ++r) {
    if ((live & (1u << r)) != 0 &&
        !regsafe(old_frame.regs[static_cast<size_t>(r)], cur.regs[static_cast<size_t>(r)], ids, mode)) {
      return false;
    }
  }
  static const StackSlot kEmpty{};
  const size_t slots = std::max(old_frame.stack.size(), cur.stack.size());
  for (size_t i = 0; i < slots; ++i) {
    const StackSlot& o = i < old_frame.stack.size() ? old_frame.stack[i] : kEmpty;
    const StackSlot& c = i < cur.stack.size() ? cur.stack[i] : kEmpty;
    if (exact) {
      if (o.bytes != c.bytes || (o.is_spill() && !regsafe(o.spilled, c.spilled, ids, mode))) {
        return false;
      }
      continue;
    }
    if (o.is_spill()) {
      if (c.is_spill()) {
        if (!regsafe(o.spilled, c.spilled, ids, mode)) {
          return false;
        }
        continue;
      }
      const bool imprecise = o.spilled.type == RegType::kScalar && !o.spilled.precise && mode == Compare::kRange;
      if (!imprecise && !old_any_scalar(o.spilled)) {
        return false;
      }
      // An old spill of an unknown scalar is as general as any initialised bytes.
      for (SlotType t : c.bytes) {
        if (t == SlotType::kInvalid) {
          return false;
        }
      }
      continue;
    }
    const bool cur_scalar_spill = c.is_spill() && c.spilled.type == RegType::kScalar;
    for (size_t j = 0; j < 8; ++j) {
      const SlotType ot = o.bytes[j];
      const SlotType ct = c.bytes[j];
      switch (ot) {
        case SlotType::kInvalid:
          break;
        case SlotType::kMisc:
          if (ct != SlotType::kMisc && ct != SlotType::kZero && !cur_scalar_spill) {
            return false;
          }
          break;
        case SlotType::kZero:
          if (ct != SlotType::kZero &&
              !(cur_scalar_spill && c.spilled.is_const_scalar() && c.spilled.var.const_value() == 0)) {
            return false;
          }
          break;
        case SlotType::kSpill:
          return false;  // handled above
      }
    }
  }
  return true;
}

bool Verifier::states_equal(const State& old_state, const State& cur, Compare mode) const {
  if (old_state.frames.size() != cur.frames.size() || old_state.active_lock_map != cur.active_lock_map ||
      old_state.refs.size() != cur.refs.size()) {
    return false;
  }
  IdMap ids(id_scratch_);
  if (!ids.link(old_state.active_lock_id, cur.active_lock_id)) {
    return false;
  }
  for (size_t k = 0; k < old_state.refs.size(); ++k) {
    if (!ids.link(old_state.refs[k].id, cur.refs[k].id)) {
      return false;
    }
  }
  for (size_t k = cur.frames.size(); k-- > 0;) {
    if (!frames_equal(old_state.frames[k], cur.frames[k], live_regs(cur, k), ids, mode)) {
      return false;
    }
  }
  return true;
}

// Registers that matter: those live at the current instruction in the innermost frame; in callers,
// those live where the call returns (r0-r5 are overwritten there, unless the call re-runs because it
// is a callback helper).
uint16_t Verifier::live_regs(const State& state, size_t frame) const {
  if (frame + 1 == state.frames.size()) {
    return cfg_.live_in[static_cast<size_t>(state.insn)];
  }
  const Frame& callee = state.frames[frame + 1];
  if (callee.in_callback) {
    return cfg_.live_in[static_cast<size_t>(callee.callsite)];
  }
  return static_cast<uint16_t>(cfg_.live_in[static_cast<size_t>(callee.callsite) + 1] & ~0x3fu);
}

namespace {

uint64_t hash_mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h;
}

uint64_t hash_reg(uint64_t h, const RegState& r) {
  h = hash_mix(h, static_cast<uint64_t>(r.type) | (uint64_t{r.maybe_null} << 8) | (uint64_t{r.read_only} << 9) |
                      (uint64_t{r.id != 0} << 10) | (uint64_t{r.ref_obj_id != 0} << 11));
  if (r.type == RegType::kNotInit) {
    return h;
  }
  h = hash_mix(h, static_cast<uint32_t>(r.off) | (uint64_t{r.range} << 32));
  h = hash_mix(h, r.var.bits.value);
  h = hash_mix(h, r.var.bits.mask);
  h = hash_mix(h, static_cast<uint64_t>(r.var.r64.smin));
  h = hash_mix(h, r.var.r64.umax);
  return hash_mix(h, r.mem_size ^ (uint64_t{static_cast<uint16_t>(r.frameno)} << 32) ^
                         (static_cast<uint64_t>(static_cast<uint32_t>(r.map)) << 16));
}

}  // namespace

uint64_t Verifier::state_hash(const State& state) const {
  uint64_t h = hash_mix(state.frames.size(), state.refs.size());
  for (size_t k = 0; k < state.frames.size(); ++k) {
    const Frame& f = state.frames[k];
    h = hash_mix(h, static_cast<uint64_t>(static_cast<uint32_t>(f.callsite)));
    const uint16_t live = live_regs(state, k);
    for (size_t r = 0; r < f.regs.size(); ++r) {
      if ((live & (1u << r)) != 0) {
        h = hash_reg(h, f.regs[r]);
      }
    }
    size_t used = f.stack.size();
    while (used > 0 && f.stack[used - 1] == StackSlot{}) {
      --used;  // trailing never-written slots compare equal to missing ones
    }
    for (size_t i = 0; i < used; ++i) {
      uint64_t bytes = 0;
      std::memcpy(&bytes, f.stack[i].bytes.data(), 8);
      h = hash_mix(h, bytes);
      if (f.stack[i].is_spill()) {
        h = hash_reg(h, f.stack[i].spilled);
      }
    }
  }
  return h;
}

void Verifier::widen_scalars(const State& old) {
  if (old.frames.size() != cur_.frames.size()) {
    return;
  }
  for (size_t k = 0; k < cur_.frames.size(); ++k) {
    Frame& c = cur_.frames[k];
    const Frame& o = old.frames[k];
    for (size_t r = 0; r < c.regs.size(); ++r) {
      if (c.regs[r].type == RegType::kScalar && o.regs[r].type == RegType::kScalar &&
          !o.regs[r].var.includes(c.regs[r].var)) {
        c.regs[r] = RegState::unknown();
      }
    }
    for (size_t i = 0; i < c.stack.size() && i < o.stack.size(); ++i) {
      StackSlot& cs = c.stack[i];
      const StackSlot& os = o.stack[i];
      if (cs.is_spill() && cs.spilled.type == RegType::kScalar &&
          (!os.is_spill() || os.spilled.type != RegType::kScalar || !os.spilled.var.includes(cs.spilled.var))) {
        cs.spilled = RegState::unknown();
      }
      for (size_t j = 0; j < 8; ++j) {
        if (cs.bytes[j] == SlotType::kZero && os.bytes[j] == SlotType::kMisc) {
          cs.bytes[j] = SlotType::kMisc;
        }
      }
    }
  }
}

Result<bool> Verifier::is_state_visited() {
  const auto insn = static_cast<size_t>(cur_.insn);
  auto& list = explored_[insn];
  // Only a return from the callback loops back onto a callback helper call; any other path reaching it
  // again went round an ordinary loop and gets the ordinary treatment.
  const bool callback = callback_insn_[insn] && cur_.returning_from_callback;
  cur_.returning_from_callback = false;
  bool add = true;
  uint64_t hash = 0;
  bool hashed = false;
  for (auto it = list.begin(); it != list.end();) {
    ExploredState& es = **it;
    if (es.branches > 0) {
      // An ancestor of this path: we went round a loop.
      if (callback) {
        if (states_equal(es.state, cur_, Compare::kRangeAllPrecise)) {
          ++es.hits;
          ++stats_.states_pruned;
          return true;
        }
        widen_scalars(es.state);
        hashed = false;
      } else {
        if (!hashed) {
          hash = state_hash(cur_);
          hashed = true;
        }
        if (es.hash == hash && states_equal(es.state, cur_, Compare::kExact)) {
          return refuse(fmt::format("infinite loop detected at insn {}", insn));
        }
      }
      // Inside a loop, storing a state every iteration rarely helps later pruning.
      if (jumps_since_state_ < 20 && insns_since_state_ < 100) {
        add = false;
      }
      ++it;
      continue;
    }
    if (states_equal(es.state, cur_, options_.track_precision ? Compare::kRange : Compare::kRangeAllPrecise)) {
      ++es.hits;
      ++stats_.states_pruned;
      propagate_precision(es.state);
      return true;
    }
    ++es.misses;
    if (es.misses > es.hits * 3 + 3) {
      it = list.erase(it);  // rarely useful; everything below it is finished, nobody points to it
      --live_states_;
      continue;
    }
    ++it;
  }
  if (!add || list.size() >= limits_.max_states_per_insn) {
    return false;
  }
  auto node = std::make_unique<ExploredState>();
  node->state = cur_;
  node->hash = hashed ? hash : state_hash(cur_);
  node->state.parent = cur_.parent;
  cur_.parent = node.get();
  // The new segment starts here; its marks will be made by walks through it.
  cur_.history.clear();
  cur_.linked.clear();
  forget_precision(cur_);
  list.push_back(std::move(node));
  ++live_states_;
  ++stats_.states_kept;
  stats_.peak_states = std::max(stats_.peak_states, live_states_);
  stats_.max_states_per_insn = std::max(stats_.max_states_per_insn, static_cast<uint32_t>(list.size()));
  insns_since_state_ = 0;
  jumps_since_state_ = 0;
  return false;
}

}  // namespace bpfrt::verifier
