// The stack: each frame's 512 bytes, byte by byte (never written, unknown, zero, or part of a spilled
// register). Reads need every byte written; 8-byte aligned register stores are spills that keep the
// whole register; helpers read and write stack buffers through pointers.
#include <algorithm>

#include <fmt/format.h>

#include "verifier/mem_util.hpp"
#include "verifier/verifier_env.hpp"

namespace bpfrt::verifier {

Status Verifier::check_stack_access(const RegState& reg, int regno, int64_t off, int size, AccessType type,
                                    const RegState* stored, RegState* loaded, bool sign_extend) {
  Frame& frame = cur_.frames[static_cast<size_t>(reg.frameno)];
  const int64_t stack = limits_.stack_size;
  const int64_t fixed = reg.off + off;
  const Scalar& v = reg.var;
  const bool variable = !v.is_const();
  if (variable && (v.r64.smin <= -kMaxVarOff || v.r64.smax >= kMaxVarOff)) {
    return refuse(fmt::format("invalid unbounded variable-offset {} stack R{}", access_verb(type), regno));
  }
  const StackSpan span{fixed + (variable ? v.r64.smin : static_cast<int64_t>(v.const_value())),
                       fixed + (variable ? v.r64.smax : static_cast<int64_t>(v.const_value())) + size, variable, fixed,
                       size};
  if (span.lo < -stack || span.hi > 0) {
    if (variable) {
      return refuse(fmt::format("invalid variable-offset {} stack R{} var_off={} off={} size={}", access_verb(type),
                                regno, tnum_to_string(v.bits), fixed, size));
    }
    return refuse(fmt::format("invalid {} stack R{} off={} size={}", access_verb(type), regno, span.lo, size));
  }
  if ((type == AccessType::kAtomic || type_.kernel_isa) && !is_aligned(reg, fixed, size)) {
    return refuse(fmt::format("misaligned stack access off {}+{} size {}", tnum_to_string(v.bits), fixed, size));
  }
  uint32_t& depth = subprog_stack_depth_[static_cast<size_t>(frame.subprog)];
  depth = std::max(depth, static_cast<uint32_t>(-span.lo));
  note_access(AccessRegion::kStack, true);
  if (type != AccessType::kWrite) {
    BPFRT_TRY(read_stack(frame, reg, regno, span, type, loaded, sign_extend));
    if (type == AccessType::kRead) {
      return {};
    }
  }
  return write_stack(frame, reg, regno, span, type, stored);
}

// Reads (and the read half of an atomic) need every byte written before. An aligned 8-byte read of a
// spilled register gets the register back; the low bytes of a spilled scalar keep its bounds.
Status Verifier::read_stack(const Frame& frame, const RegState& reg, int regno, const StackSpan& span, AccessType type,
                            RegState* loaded, bool sign_extend) {
  const int64_t size = span.size;
  const StackSlot* slot = frame.find_slot(static_cast<int>(span.lo));
  const bool aligned_slot = !span.variable && span.lo % 8 == 0 && slot != nullptr && slot->is_spill();
  if (aligned_slot && type == AccessType::kRead && size == 8) {
    if (loaded != nullptr) {
      *loaded = slot->spilled;
    }
    note_spill_slot(reg.frameno, static_cast<int>(span.lo));
    return {};
  }
  bool all_zero = true;
  for (int64_t b = span.lo; b < span.hi; ++b) {
    const SlotType t = frame.byte_at(static_cast<int>(b));
    if (t == SlotType::kInvalid) {
      if (span.variable) {
        return refuse(fmt::format("invalid variable-offset read from stack R{} var_off={} off={} size={}", regno,
                                  tnum_to_string(reg.var.bits), span.fixed, size));
      }
      return refuse(fmt::format("invalid read from stack R{} off {}+{} size {}", regno, span.lo, b - span.lo, size));
    }
    if (t == SlotType::kSpill) {
      const RegState& spilled = frame.find_slot(static_cast<int>(b))->spilled;
      if (spilled.is_pointer() && (!allow_ptr_leaks() || type == AccessType::kAtomic)) {
        return refuse(fmt::format("invalid size of register fill: R{} reads part of a spilled {} at fp{}", regno,
                                  reg_type_name(spilled.type, spilled.maybe_null), b - (b % 8 + 8) % 8));
      }
    }
    all_zero = all_zero && t == SlotType::kZero;
  }
  if (loaded == nullptr) {
    return {};
  }
  if (all_zero) {
    *loaded = RegState::constant(0);
  } else if (aligned_slot && size <= 8 && slot->spilled.type == RegType::kScalar) {
    const Scalar low = scalar_truncate(slot->spilled.var, static_cast<unsigned>(size));
    *loaded = RegState::scalar(sign_extend ? scalar_sign_extend(low, static_cast<unsigned>(size)) : low);
    note_spill_slot(reg.frameno, static_cast<int>(span.lo));
  }
  return {};
}

// Writes: an aligned 8-byte store of a register (other than a known zero) is a spill; otherwise bytes
// certainly written become known (zero or unknown), and with a variable offset only bytes already
// initialised may be marked, since the others may not have been written.
Status Verifier::write_stack(Frame& frame, const RegState& reg, int regno, const StackSpan& span, AccessType type,
                             const RegState* stored) {
  const int64_t size = span.size;
  if (stored != nullptr && stored->is_pointer()) {
    if (stored->type == RegType::kStack && reg.frameno != cur_.curframe()) {
      return refuse("cannot spill pointers to stack into stack frame of the caller");
    }
    if (span.variable) {
      return refuse(fmt::format("R{} variable-offset stack write of a pointer is not supported", regno));
    }
    if ((size != 8 || span.lo % 8 != 0) && (type_.kernel_isa || !allow_ptr_leaks())) {
      return refuse("invalid size of register spill");
    }
  }
  const bool zero = type == AccessType::kWrite && is_zero(stored);
  if (!span.variable && type == AccessType::kWrite && size == 8 && span.lo % 8 == 0 && !zero && stored != nullptr) {
    StackSlot& slot = frame.slot_at(static_cast<int>(span.lo));
    slot.bytes.fill(SlotType::kSpill);
    slot.spilled = *stored;
    note_spill_slot(reg.frameno, static_cast<int>(span.lo));
    return {};
  }
  for (int64_t b = span.lo; b < span.hi; ++b) {
    StackSlot& slot = frame.slot_at(static_cast<int>(b));
    if (slot.is_spill()) {
      if (slot.spilled.is_pointer() && !allow_ptr_leaks()) {
        return refuse("attempt to corrupt spilled pointer on stack");
      }
      slot.bytes.fill(SlotType::kMisc);
      slot.spilled = RegState{};
    }
    SlotType& t = slot.bytes[static_cast<size_t>((b % 8 + 8) % 8)];
    if (span.variable) {
      if (t == SlotType::kZero && !zero) {
        t = SlotType::kMisc;
      }
    } else {
      t = zero ? SlotType::kZero : SlotType::kMisc;
    }
  }
  return {};
}

// ---- memory passed to helpers ---------------------------------------------------------------------

Status Verifier::check_helper_mem(int regno, uint64_t min_size, uint64_t max_size, bool write, bool zero_size_ok) {
  const RegState reg = cur_.reg(regno);
  if (max_size == 0 && zero_size_ok) {
    return {};
  }
  const auto size = static_cast<int>(max_size);
  if (reg.maybe_null) {
    return refuse(
        fmt::format("R{} type={} may be NULL here: null-check it first", regno, reg_type_name(reg.type, true)));
  }
  if (write && reg.read_only) {
    return refuse(fmt::format("R{} points to read-only memory ({}): the helper would write to it", regno,
                              reg_type_name(reg.type, false)));
  }
  switch (reg.type) {
    case RegType::kStack: {
      Frame& frame = cur_.frames[static_cast<size_t>(reg.frameno)];
      const Scalar& v = reg.var;
      if (!v.is_const() && (v.r64.smin <= -kMaxVarOff || v.r64.smax >= kMaxVarOff)) {
        return refuse(fmt::format("R{} unbounded indirect variable offset stack access", regno));
      }
      const int64_t smin = v.is_const() ? static_cast<int64_t>(v.const_value()) : v.r64.smin;
      const int64_t smax = v.is_const() ? smin : v.r64.smax;
      const int64_t lo = reg.off + smin;
      const int64_t hi = reg.off + smax + static_cast<int64_t>(max_size);
      if (lo < -static_cast<int64_t>(limits_.stack_size) || hi > 0) {
        return refuse(fmt::format("invalid indirect access to stack R{} off={} size={}", regno, lo, max_size));
      }
      uint32_t& depth = subprog_stack_depth_[static_cast<size_t>(frame.subprog)];
      depth = std::max(depth, static_cast<uint32_t>(-lo));
      if (!write) {
        for (int64_t b = lo; b < hi; ++b) {
          const SlotType t = frame.byte_at(static_cast<int>(b));
          if (t == SlotType::kInvalid) {
            return refuse(
                fmt::format("invalid indirect read from stack R{} off {}+{} size {}", regno, lo, b - lo, max_size));
          }
          if (t == SlotType::kSpill && frame.find_slot(static_cast<int>(b))->spilled.is_pointer() &&
              !allow_ptr_leaks()) {
            return refuse(fmt::format("R{} leaks addr into helper function (spilled pointer at fp{})", regno, b));
          }
        }
        return {};
      }
      // The helper writes at least min_size bytes at the actual offset: only bytes covered for every
      // possible offset become initialised; anything else it may touch loses what we knew.
      const int64_t sure_lo = reg.off + smax;
      const int64_t sure_hi = reg.off + smin + static_cast<int64_t>(min_size);
      for (int64_t b = lo; b < hi; ++b) {
        StackSlot& slot = frame.slot_at(static_cast<int>(b));
        if (slot.is_spill()) {
          slot.bytes.fill(SlotType::kMisc);
          slot.spilled = RegState{};
        }
        SlotType& t = slot.bytes[static_cast<size_t>((b % 8 + 8) % 8)];
        if (b >= sure_lo && b < sure_hi) {
          t = SlotType::kMisc;
        } else if (t == SlotType::kZero) {
          t = SlotType::kMisc;
        }
      }
      return {};
    }
    case RegType::kMapValue:
    case RegType::kMapKey: {
      const MapInfo& map = maps_[static_cast<size_t>(reg.map)];
      const bool key = reg.type == RegType::kMapKey;
      return check_region_access(
          reg, regno, reg.off, size,
          Region{key ? "map key" : "map value", key ? "key_size" : "value_size", key ? map.key_size : map.value_size});
    }
    case RegType::kMem:
      return check_region_access(reg, regno, reg.off, size, Region{"memory", "mem_size", reg.mem_size});
    case RegType::kPacket:
    case RegType::kPacketMeta:
      return check_packet_access(reg, regno, 0, size, write ? AccessType::kWrite : AccessType::kRead);
    case RegType::kCtx:
      if (type_.ctx_model == CtxModel::kMemory) {
        BPFRT_TRY(check_region_access(reg, regno, reg.off, size,
                                      Region{"context", "ctx_size", static_cast<int64_t>(ctx_size_)}));
        ctx_size_required_ = std::max(ctx_size_required_, static_cast<uint32_t>(reg.off + reg.var.r64.umax + max_size));
        return {};
      }
      [[fallthrough]];
    default:
      return refuse(fmt::format("R{} type={} expected=fp, pkt, pkt_meta, map_key, map_value, mem", regno,
                                reg_type_name(reg.type, reg.maybe_null)));
  }
}

}  // namespace bpfrt::verifier
