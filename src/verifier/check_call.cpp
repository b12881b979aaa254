// Helper calls (arguments against the prototype in the helper table, map/helper compatibility,
// references acquired and released, callbacks), bpf-to-bpf calls and exits.
#include <algorithm>

#include <fmt/format.h>
#include <linux/bpf.h>

#include "verifier/map_rules.hpp"
#include "verifier/verifier_env.hpp"

namespace bpfrt::verifier {

namespace {

constexpr uint64_t kMaxHelperMem = uint64_t{1} << 29;
constexpr int32_t kFuncTailCall = 12;
constexpr int32_t kFuncSpinLock = 93;
constexpr int32_t kFuncSpinUnlock = 94;

bool is_zero(const RegState& r) {
  return r.is_const_scalar() && r.var.const_value() == 0;
}

bool is_unmodified(const RegState& r) {
  return r.off == 0 && r.var.is_const() && r.var.const_value() == 0;
}

}  // namespace

Status Verifier::check_helper_args(const HelperEntry& helper, CallMeta& meta) {
  for (size_t a = 0; a < helper.prototype.args.size(); ++a) {
    const ArgType type = helper.prototype.args[a];
    const int regno = static_cast<int>(a) + 1;
    if (type == ArgType::kNone) {
      continue;
    }
    BPFRT_TRY(check_reg_read(regno));
    const RegState r = cur_.reg(regno);
    const char* name = reg_type_name(r.type, r.maybe_null);
    switch (type) {
      case ArgType::kNone:
        break;
      case ArgType::kAnything:
        if (r.is_pointer() && !allow_ptr_leaks()) {
          return refuse(fmt::format("R{} leaks addr into helper function", regno));
        }
        break;
      case ArgType::kConstMapPtr:
        if (r.type != RegType::kMapPtr || r.maybe_null) {
          return refuse(fmt::format("R{} type={} expected=map_ptr", regno, name));
        }
        meta.map = r.map;
        break;
      case ArgType::kPtrToMapKey:
      case ArgType::kPtrToMapValue:
      case ArgType::kPtrToUninitMapValue: {
        if (meta.map < 0) {
          return refuse(
              fmt::format("invalid map_ptr to access map->{}", type == ArgType::kPtrToMapKey ? "key" : "value"));
        }
        const MapInfo& map = maps_[static_cast<size_t>(meta.map)];
        const uint32_t size = type == ArgType::kPtrToMapKey ? map.key_size : map.value_size;
        BPFRT_TRY(check_helper_mem(regno, size, size, type == ArgType::kPtrToUninitMapValue, false));
        break;
      }
      case ArgType::kPtrToMem:
      case ArgType::kPtrToMemOrNull:
      case ArgType::kPtrToUninitMem:
      case ArgType::kPtrToUninitMemOrNull: {
        const bool or_null = type == ArgType::kPtrToMemOrNull || type == ArgType::kPtrToUninitMemOrNull;
        meta.mem_write = type == ArgType::kPtrToUninitMem || type == ArgType::kPtrToUninitMemOrNull;
        meta.mem_regno = or_null && is_zero(r) ? -2 : regno;
        break;
      }
      case ArgType::kConstSize:
      case ArgType::kConstSizeOrZero: {
        if (r.type != RegType::kScalar) {
          return refuse(fmt::format("R{} type={} expected=scalar", regno, name));
        }
        if (r.var.r64.smin < 0) {
          return refuse(fmt::format("R{} min value is negative, either use unsigned or 'var &= const'", regno));
        }
        if (r.var.r64.umax >= kMaxHelperMem) {
          return refuse(fmt::format("R{} unbounded memory access, use 'var &= const' or 'if (var < const)'", regno));
        }
        if (type == ArgType::kConstSize && r.var.r64.umin == 0) {
          return refuse(fmt::format("R{} invalid zero-sized read: u64=[{},{}]", regno, r.var.r64.umin, r.var.r64.umax));
        }
        mark_precise(regno);
        if (meta.mem_regno == -1) {
          return refuse(fmt::format("helper {} has a size argument R{} without a memory argument", helper.name, regno));
        }
        if (meta.mem_regno > 0) {
          BPFRT_TRY(check_helper_mem(meta.mem_regno, r.var.r64.umin, r.var.r64.umax, meta.mem_write,
                                     type == ArgType::kConstSizeOrZero));
        }
        meta.mem_regno = -1;
        break;
      }
      case ArgType::kPtrToCtx:
        if (r.type != RegType::kCtx) {
          return refuse(fmt::format("R{} type={} expected=ctx", regno, name));
        }
        if (!is_unmodified(r)) {
          return refuse(fmt::format("dereference of modified ctx ptr R{} off={} disallowed", regno, r.off));
        }
        break;
      case ArgType::kPtrToFunc:
        if (r.type != RegType::kFunc) {
          return refuse(fmt::format("R{} type={} expected=func", regno, name));
        }
        meta.callback = r.subprog;
        break;
      case ArgType::kPtrToStackOrNull:
        if (r.type != RegType::kStack && !is_zero(r)) {
          return refuse(fmt::format("R{} type={} expected=fp", regno, name));
        }
        break;
      case ArgType::kPtrToAllocMem:
        if (r.type != RegType::kMem || r.maybe_null || r.ref_obj_id == 0) {
          return refuse(
              fmt::format("R{} type={} expected=ringbuf_mem (a checked ring-buffer reservation)", regno, name));
        }
        if (!is_unmodified(r)) {
          return refuse(fmt::format("R{} must have zero offset when passed to release func", regno));
        }
        meta.release_ref = r.ref_obj_id;
        break;
      case ArgType::kConstAllocSizeOrZero:
        mark_precise(regno);
        if (!r.is_const_scalar()) {
          return refuse(fmt::format("R{} is not a known constant", regno));
        }
        if (r.var.const_value() >= kMaxHelperMem) {
          return refuse(fmt::format("R{} reservation size {} is too large", regno, r.var.const_value()));
        }
        meta.alloc_size = r.var.const_value();
        break;
      case ArgType::kPtrToSpinLock: {
        if (r.type != RegType::kMapValue || r.maybe_null) {
          return refuse(fmt::format("R{} type={} expected=map_value", regno, name));
        }
        const MapInfo& map = maps_[static_cast<size_t>(r.map)];
        if (map.spin_lock_offset < 0) {
          return refuse(fmt::format("map '{}' has no valid bpf_spin_lock", map.name));
        }
        if (!r.var.is_const() || r.off + static_cast<int64_t>(r.var.const_value()) != map.spin_lock_offset) {
          return refuse(
              fmt::format("off {} doesn't point to 'struct bpf_spin_lock' that is at {}", r.off, map.spin_lock_offset));
        }
        meta.lock_map = r.map;
        meta.lock_id = r.id;
        break;
      }
      case ArgType::kPtrToLong:
        BPFRT_TRY(check_helper_mem(regno, 8, 8, true, false));
        break;
      case ArgType::kPtrToConstStr: {
        if (r.type != RegType::kMapValue || r.maybe_null) {
          return refuse(fmt::format("R{} type={} expected=map_value (a string in a read-only map)", regno, name));
        }
        const MapInfo& map = maps_[static_cast<size_t>(r.map)];
        if ((map.flags & BPF_F_RDONLY_PROG) == 0) {
          return refuse(fmt::format("R{} does not point to a readonly map'", regno));
        }
        if (!r.var.is_const()) {
          return refuse(fmt::format("R{} is not a constant address'", regno));
        }
        BPFRT_TRY(check_region_access(r, regno, r.off, 1, Region{"map value", "value_size", map.value_size}));
        break;
      }
    }
  }
  if (meta.mem_regno > 0) {
    return refuse(fmt::format("helper {}: memory argument R{} has no size argument", helper.name, meta.mem_regno));
  }
  return {};
}

Status Verifier::check_map_helper(int32_t helper_id, const MapInfo& map) const {
  if (!map_helper_compatible(helper_id, map.type)) {
    const HelperEntry* entry = options_.helpers->find(helper_id);
    return refuse(fmt::format("cannot pass map_type {} ({}) into func {}#{}", map.type, map_type_name(map.type),
                              entry != nullptr ? entry->name : "?", helper_id));
  }
  return {};
}

Result<bool> Verifier::check_helper_call(const Instruction& insn, int32_t helper_id) {
  (void)insn;
  const HelperEntry* helper = options_.helpers != nullptr ? options_.helpers->find(helper_id) : nullptr;
  if (helper == nullptr) {
    return refuse(fmt::format("invalid func unknown#{}", helper_id));
  }
  if (!type_allows_helper(type_, helper_id)) {
    return refuse(fmt::format("program of this type cannot use helper {}#{}", helper->name, helper_id));
  }
  if (cur_.active_lock_map >= 0 && helper_id != kFuncSpinUnlock && helper_id != kFuncSpinLock) {
    return refuse("function calls are not allowed while holding a lock");
  }
  CallMeta meta;
  BPFRT_TRY(check_helper_args(*helper, meta));
  if (meta.map >= 0) {
    BPFRT_TRY(check_map_helper(helper_id, maps_[static_cast<size_t>(meta.map)]));
  }

  if (helper_id == kFuncTailCall) {
    if (!cur_.refs.empty()) {
      return refuse("tail_call would lead to reference leak");
    }
    uses_tail_calls_ = true;
  }
  if (meta.lock_map >= 0) {
    if (helper_id == kFuncSpinLock) {
      if (cur_.active_lock_map >= 0) {
        return refuse("Locking two bpf_spin_locks are not allowed");
      }
      cur_.active_lock_map = meta.lock_map;
      cur_.active_lock_id = meta.lock_id;
    } else {
      if (cur_.active_lock_map < 0) {
        return refuse("bpf_spin_unlock without taking a lock");
      }
      if (cur_.active_lock_map != meta.lock_map || cur_.active_lock_id != meta.lock_id) {
        return refuse("bpf_spin_unlock of different lock");
      }
      cur_.active_lock_map = -1;
      cur_.active_lock_id = 0;
    }
  }
  if (meta.callback >= 0) {
    auto entered = check_callback(*helper, meta);
    if (!entered) {
      return entered.take_error();
    }
  }
  if (meta.release_ref != 0) {
    BPFRT_TRY(release_reference(meta.release_ref));
  }

  // The helper's result; r1-r5 are clobbered.
  RegState r0;
  switch (helper->prototype.ret) {
    case RetType::kInteger:
      r0 = RegState::unknown();
      break;
    case RetType::kVoid:
      break;
    case RetType::kPtrToMapValueOrNull: {
      if (meta.map < 0) {
        return refuse(fmt::format("helper {} returns a map value but takes no map", helper->name));
      }
      const MapInfo& map = maps_[static_cast<size_t>(meta.map)];
      if (is_map_in_map(map.type)) {
        if (!map.inner) {
          return refuse(fmt::format("map '{}' holds maps but its inner map is not described", map.name));
        }
        maps_.push_back(*map.inner);
        r0 = RegState::pointer(RegType::kMapPtr);
        r0.map = static_cast<int>(maps_.size()) - 1;
      } else {
        r0 = RegState::pointer(RegType::kMapValue);
        r0.map = meta.map;
        r0.read_only = (map.flags & BPF_F_RDONLY_PROG) != 0;
      }
      r0.maybe_null = true;
      r0.id = new_id();
      break;
    }
    case RetType::kPtrToAllocMemOrNull:
      r0 = RegState::pointer(RegType::kMem);
      r0.mem_size = static_cast<uint32_t>(meta.alloc_size);
      r0.maybe_null = true;
      r0.id = new_id();
      r0.ref_obj_id = r0.id;
      cur_.refs.push_back(RefState{r0.id, cur_.insn});
      break;
  }
  for (int r = 1; r <= 5; ++r) {
    cur_.reg(r) = RegState{};
  }
  cur_.reg(0) = r0;
  if (helper->prototype.changes_packet_data) {
    clear_packet_pointers();
  }
  cur_.insn += 1;
  return true;
}

Status Verifier::release_reference(uint32_t ref_obj_id) {
  auto it = std::find_if(cur_.refs.begin(), cur_.refs.end(), [&](const RefState& r) { return r.id == ref_obj_id; });
  if (it == cur_.refs.end()) {
    return refuse(fmt::format("reference id={} has not been acquired before", ref_obj_id));
  }
  cur_.refs.erase(it);
  for (Frame& frame : cur_.frames) {
    for (RegState& r : frame.regs) {
      if (r.ref_obj_id == ref_obj_id) {
        r = RegState{};
      }
    }
    for (StackSlot& slot : frame.stack) {
      if (slot.is_spill() && slot.spilled.ref_obj_id == ref_obj_id) {
        slot.bytes.fill(SlotType::kMisc);
        slot.spilled = RegState{};
      }
    }
  }
  return {};
}

void Verifier::clear_packet_pointers() {
  for (Frame& frame : cur_.frames) {
    for (RegState& r : frame.regs) {
      if (r.is_packet() || r.type == RegType::kPacketEnd) {
        r = allow_ptr_leaks() ? RegState::unknown() : RegState{};
      }
    }
    for (StackSlot& slot : frame.stack) {
      if (slot.is_spill() && (slot.spilled.is_packet() || slot.spilled.type == RegType::kPacketEnd)) {
        slot.bytes.fill(SlotType::kMisc);
        slot.spilled = RegState{};
      }
    }
  }
}

void Verifier::invalidate_frame_pointers(int frameno) {
  for (Frame& frame : cur_.frames) {
    for (StackSlot& slot : frame.stack) {
      if (slot.is_spill() && slot.spilled.type == RegType::kStack && slot.spilled.frameno >= frameno) {
        slot.bytes.fill(SlotType::kMisc);
        slot.spilled = RegState{};
      }
    }
  }
}

}  // namespace bpfrt::verifier
