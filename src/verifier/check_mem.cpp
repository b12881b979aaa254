// Loads, stores and atomics: every access must fall inside the region its base pointer points into —
// the frame's 512 bytes of stack (reads only of bytes written), the context fields of the program type,
// a map value, helper-returned memory, or packet bytes proven before data_end.
#include <algorithm>

#include <fmt/format.h>
#include <linux/bpf.h>

#include "verifier/verifier_env.hpp"

namespace bpfrt::verifier {
namespace {

constexpr int64_t kMaxVarOff = int64_t{1} << 29;

Scalar loaded_scalar(int size, bool sign_extend) {
  return sign_extend ? Scalar::sign_extended(static_cast<unsigned>(size))
                     : Scalar::zero_extended(static_cast<unsigned>(size));
}

bool is_zero(const RegState* value) {
  return value != nullptr && value->is_const_scalar() && value->var.const_value() == 0;
}

const char* access_verb(AccessType type) {
  return type == AccessType::kRead ? "read from" : "write to";
}

// True if base + fixed + var is a multiple of `size` for every var, the base being 8-byte aligned.
bool is_aligned(const RegState& reg, int64_t fixed, int size) {
  const auto m = static_cast<uint64_t>(size - 1);
  return (reg.var.bits.mask & m) == 0 && ((reg.var.bits.value + static_cast<uint64_t>(fixed)) & m) == 0;
}

}  // namespace

Status Verifier::check_load(const OpInfo& info, const Instruction& insn) {
  const int size = access_size(info);
  const bool sign_extend = (info.opcode & 0xe0) == 0x80;  // BPF_MEMSX
  BPFRT_TRY(check_reg_read(insn.src));
  RegState loaded;
  BPFRT_TRY(check_mem_access(insn.src, insn.offset, size, AccessType::kRead, nullptr, &loaded, sign_extend));
  cur_.reg(insn.dst) = loaded;
  return {};
}

Status Verifier::check_store(const OpInfo& info, const Instruction& insn) {
  const int size = access_size(info);
  BPFRT_TRY(check_reg_read(insn.dst));
  RegState value;
  if (info.form == Form::kStoreReg) {
    BPFRT_TRY(check_reg_read(insn.src));
    if (cur_.reg(insn.src).is_const_scalar() && cur_.reg(insn.src).var.const_value() == 0) {
      // Stack bytes written with a zero read back as the constant 0, which the precision walk cannot
      // follow to this register: its value matters from here on.
      mark_precise(insn.src);
    }
    value = cur_.reg(insn.src);
  } else {
    const auto imm = static_cast<uint64_t>(static_cast<int64_t>(insn.imm));
    value = RegState::constant(size == 8 ? imm : imm & ((uint64_t{1} << (size * 8)) - 1));
  }
  return check_mem_access(insn.dst, insn.offset, size, AccessType::kWrite, &value, nullptr, false);
}

Status Verifier::check_atomic(const OpInfo& info, const Instruction& insn) {
  const int size = access_size(info);
  const bool cmpxchg = info.id == Op::kAtomicCmpxchg64 || info.id == Op::kAtomicCmpxchg32;
  const bool fetch = (insn.imm & op::kAtomicFetch) != 0;
  BPFRT_TRY(check_reg_read(insn.src));
  BPFRT_TRY(check_reg_read(insn.dst));
  if (cmpxchg) {
    BPFRT_TRY(check_reg_read(0));
    if (cur_.reg(0).is_pointer() && !allow_ptr_leaks()) {
      return refuse("R0 leaks addr into mem");
    }
  }
  const RegState value = cur_.reg(insn.src);
  if (value.is_pointer() && !allow_ptr_leaks()) {
    return refuse(fmt::format("R{} leaks addr into mem", insn.src));
  }
  RegState loaded;
  BPFRT_TRY(check_mem_access(insn.dst, insn.offset, size, AccessType::kAtomic, &value, &loaded, false));
  if (cmpxchg) {
    cur_.reg(0) = loaded;
  } else if (fetch) {
    cur_.reg(insn.src) = loaded;
  }
  return {};
}

Status Verifier::check_mem_access(int regno, int32_t off, int size, AccessType type, const RegState* stored,
                                  RegState* loaded, bool sign_extend) {
  const RegState reg = cur_.reg(regno);
  if (loaded != nullptr) {
    *loaded = RegState::scalar(loaded_scalar(size, sign_extend));
  }
  if (type != AccessType::kRead && reg.read_only && reg.type != RegType::kCtx) {
    return refuse(
        fmt::format("R{} points to read-only memory ({}): write forbidden", regno, reg_type_name(reg.type, false)));
  }
  switch (reg.type) {
    case RegType::kStack:
      return check_stack_access(reg, regno, off, size, type, stored, loaded, sign_extend);
    case RegType::kCtx:
      return check_ctx_access(reg, regno, off, size, type, stored, loaded, sign_extend);
    case RegType::kMapValue:
    case RegType::kMapKey: {
      if (reg.maybe_null) {
        return refuse(fmt::format("R{} invalid mem access '{}'", regno, reg_type_name(reg.type, true)));
      }
      const MapInfo& map = maps_[static_cast<size_t>(reg.map)];
      const bool key = reg.type == RegType::kMapKey;
      if (!key && type == AccessType::kRead && (map.flags & BPF_F_WRONLY_PROG) != 0) {
        return refuse(
            fmt::format("read from map forbidden, value_size={} off={} size={}", map.value_size, reg.off + off, size));
      }
      if (stored != nullptr && stored->is_pointer() && !allow_ptr_leaks()) {
        return refuse(fmt::format("R{} leaks addr into map", regno));
      }
      const int64_t fixed = int64_t{reg.off} + off;
      BPFRT_TRY(check_region_access(
          reg, regno, fixed, size,
          Region{key ? "map key" : "map value", key ? "key_size" : "value_size", key ? map.key_size : map.value_size}));
      if (!key && map.spin_lock_offset >= 0) {
        const int64_t lo = fixed + reg.var.r64.smin;
        const int64_t hi = fixed + static_cast<int64_t>(reg.var.r64.umax) + size;
        if (lo < map.spin_lock_offset + 4 && hi > map.spin_lock_offset) {
          return refuse("bpf_spin_lock cannot be accessed directly by load/store");
        }
      }
      if (type == AccessType::kAtomic && !is_aligned(reg, fixed, size)) {
        return refuse(
            fmt::format("misaligned value access off {}+{} size {}", tnum_to_string(reg.var.bits), fixed, size));
      }
      note_access(AccessRegion::kMapValue, true);
      return {};
    }
    case RegType::kMem: {
      if (reg.maybe_null) {
        return refuse(fmt::format("R{} invalid mem access '{}'", regno, reg_type_name(reg.type, true)));
      }
      if (stored != nullptr && stored->is_pointer() && !allow_ptr_leaks()) {
        return refuse(fmt::format("R{} leaks addr into mem", regno));
      }
      const int64_t fixed = int64_t{reg.off} + off;
      BPFRT_TRY(check_region_access(reg, regno, fixed, size, Region{"memory", "mem_size", reg.mem_size}));
      if (type == AccessType::kAtomic && !is_aligned(reg, fixed, size)) {
        return refuse(fmt::format("misaligned access off {}+{} size {}", tnum_to_string(reg.var.bits), fixed, size));
      }
      note_access(AccessRegion::kHelperMemory, true);
      return {};
    }
    case RegType::kPacket:
    case RegType::kPacketMeta:
      if (stored != nullptr && stored->is_pointer() && !allow_ptr_leaks()) {
        return refuse(fmt::format("R{} leaks addr into packet", regno));
      }
      BPFRT_TRY(check_packet_access(reg, regno, off, size, type));
      note_access(AccessRegion::kPacket, true);
      return {};
    default:
      return refuse(fmt::format("R{} invalid mem access '{}'", regno, reg_type_name(reg.type, reg.maybe_null)));
  }
}

Status Verifier::check_region_access(const RegState& reg, int regno, int64_t off, int size, const Region& region) {
  const Scalar& v = reg.var;
  auto outside = [&](int64_t at, const char* which) {
    std::string message =
        fmt::format("invalid access to {}, {}={} off={} size={}", region.name, region.size_name, region.size, at, size);
    if (!v.is_const()) {
      message += fmt::format("\nR{} {} value is outside of the allowed memory range", regno, which);
    }
    return refuse(std::move(message));
  };
  int64_t lo = 0;
  if (__builtin_add_overflow(off, v.r64.smin, &lo) || (v.r64.smin < 0 && (lo < 0 || lo != static_cast<int32_t>(lo)))) {
    return refuse(
        fmt::format("R{} min value is negative, either use unsigned index or do a if (index >=0) check.", regno));
  }
  if (lo < 0 || lo + size > region.size) {
    return outside(lo, "min");
  }
  if (v.r64.umax >= static_cast<uint64_t>(kMaxVarOff)) {
    return refuse(fmt::format("R{} unbounded memory access, make sure to bounds check any such access", regno));
  }
  const int64_t hi = off + static_cast<int64_t>(v.r64.umax);
  if (hi < 0 || hi + size > region.size) {
    return outside(hi, "max");
  }
  return {};
}

Status Verifier::check_packet_access(const RegState& reg, int regno, int64_t off, int size, AccessType type) {
  if (!type_.packet_read) {
    return refuse(fmt::format("{} programs cannot access packet data directly", type_.name));
  }
  if (type == AccessType::kAtomic) {
    return refuse(fmt::format("BPF_ATOMIC stores into R{} pkt is not allowed", regno));
  }
  if (type == AccessType::kWrite && !type_.packet_write) {
    return refuse("cannot write into packet");
  }
  if (reg.var.r64.smin < 0) {
    return refuse(
        fmt::format("R{} min value is negative, either use unsigned index or do a if (index >=0) check.", regno));
  }
  const int64_t at = reg.off + off;
  if (at < 0 || at + size > static_cast<int64_t>(reg.range)) {
    return refuse(
        fmt::format("invalid access to packet, off={} size={}, R{}(id={},off={},r={})\n"
                    "R{} offset is outside of the packet",
                    at, size, regno, reg.id, reg.off, reg.range, regno));
  }
  return {};
}

Status Verifier::check_ctx_access(const RegState& reg, int regno, int64_t off, int size, AccessType type,
                                  const RegState* stored, RegState* loaded, bool sign_extend) {
  if (stored != nullptr && stored->is_pointer() && !allow_ptr_leaks()) {
    return refuse(fmt::format("R{} leaks addr into ctx", regno));
  }
  if (type_.ctx_model == CtxModel::kMemory) {
    const int64_t fixed = int64_t{reg.off} + off;
    BPFRT_TRY(
        check_region_access(reg, regno, fixed, size, Region{"context", "ctx_size", static_cast<int64_t>(ctx_size_)}));
    if (type == AccessType::kAtomic && !is_aligned(reg, fixed, size)) {
      return refuse(
          fmt::format("misaligned context access off {}+{} size {}", tnum_to_string(reg.var.bits), fixed, size));
    }
    ctx_size_required_ =
        std::max(ctx_size_required_, static_cast<uint32_t>(fixed + static_cast<int64_t>(reg.var.r64.umax) + size));
    note_access(AccessRegion::kContext, true);
    return {};
  }
  if (type == AccessType::kAtomic) {
    return refuse(fmt::format("BPF_ATOMIC stores into R{} ctx is not allowed", regno));
  }
  if (!reg.var.is_const()) {
    return refuse(fmt::format("variable ctx access var_off={} disallowed", tnum_to_string(reg.var.bits)));
  }
  if (reg.off != 0 || reg.var.const_value() != 0) {
    return refuse(fmt::format("dereference of modified ctx ptr R{} off={} disallowed", regno,
                              reg.off + static_cast<int64_t>(reg.var.const_value())));
  }
  const bool read = type == AccessType::kRead;
  CtxFieldKind kind = CtxFieldKind::kScalar;
  bool ok = off >= 0 && off % size == 0;
  if (type_.ctx_model == CtxModel::kFields) {
    const CtxField* field = ok ? find_ctx_field(type_, off, size) : nullptr;
    ok = field != nullptr && ((read ? field->read_sizes : field->write_sizes) & size) != 0;
    if (ok) {
      kind = field->kind;
      if (kind == CtxFieldKind::kUnsupported) {
        return refuse(
            fmt::format("invalid bpf_context access off={} size={} ({}->{} needs kernel socket "
                        "pointers, which bpfrt does not have)",
                        off, size, type_.context_name, field->name));
      }
    }
  } else {
    const int64_t hi = static_cast<int64_t>(std::min<size_t>(ctx_size_, type_.window_hi));
    ok = ok && off >= type_.window_lo && off + size <= hi &&
         ((read ? type_.window_read_sizes : type_.window_write_sizes) & size) != 0;
  }
  if (!ok) {
    return refuse(fmt::format("invalid bpf_context access off={} size={}", off, size));
  }
  if (read && loaded != nullptr && kind != CtxFieldKind::kScalar) {
    if (sign_extend) {
      return refuse(
          fmt::format("invalid bpf_context access off={} size={} (sign-extending load of a packet "
                      "pointer)",
                      off, size));
    }
    *loaded = RegState::pointer(kind == CtxFieldKind::kPacketData  ? RegType::kPacket
                                : kind == CtxFieldKind::kPacketEnd ? RegType::kPacketEnd
                                                                   : RegType::kPacketMeta);
  }
  ctx_size_required_ = std::max(ctx_size_required_, static_cast<uint32_t>(off + size));
  note_access(AccessRegion::kContext, true);
  return {};
}

// ---- the stack ------------------------------------------------------------------------------------

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
  const int64_t lo = fixed + (variable ? v.r64.smin : static_cast<int64_t>(v.const_value()));
  const int64_t hi = fixed + (variable ? v.r64.smax : static_cast<int64_t>(v.const_value())) + size;
  if (lo < -stack || hi > 0) {
    if (variable) {
      return refuse(fmt::format("invalid variable-offset {} stack R{} var_off={} off={} size={}", access_verb(type),
                                regno, tnum_to_string(v.bits), fixed, size));
    }
    return refuse(fmt::format("invalid {} stack R{} off={} size={}", access_verb(type), regno, lo, size));
  }
  if ((type == AccessType::kAtomic || type_.kernel_isa) && !is_aligned(reg, fixed, size)) {
    return refuse(fmt::format("misaligned stack access off {}+{} size {}", tnum_to_string(v.bits), fixed, size));
  }
  uint32_t& depth = subprog_stack_depth_[static_cast<size_t>(frame.subprog)];
  depth = std::max(depth, static_cast<uint32_t>(-lo));
  note_access(AccessRegion::kStack, true);

  if (type != AccessType::kWrite) {
    // Reads (and the read half of an atomic) need every byte written before.
    const bool full_fill = !variable && type == AccessType::kRead && size == 8 && lo % 8 == 0;
    const StackSlot* slot = frame.find_slot(static_cast<int>(lo));
    if (full_fill && slot != nullptr && slot->is_spill()) {
      if (loaded != nullptr) {
        *loaded = slot->spilled;
      }
      note_spill_slot(reg.frameno, static_cast<int>(lo));
      return {};
    }
    bool all_zero = true;
    for (int64_t b = lo; b < hi; ++b) {
      const SlotType t = frame.byte_at(static_cast<int>(b));
      if (t == SlotType::kInvalid) {
        if (variable) {
          return refuse(fmt::format("invalid variable-offset read from stack R{} var_off={} off={} size={}", regno,
                                    tnum_to_string(v.bits), fixed, size));
        }
        return refuse(fmt::format("invalid read from stack R{} off {}+{} size {}", regno, lo, b - lo, size));
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
    if (loaded != nullptr) {
      if (all_zero) {
        *loaded = RegState::constant(0);
      } else if (!variable && slot != nullptr && slot->is_spill() && lo % 8 == 0 && hi <= lo + 8 &&
                 slot->spilled.type == RegType::kScalar) {
        // The low bytes of a spilled scalar.
        const Scalar low = scalar_truncate(slot->spilled.var, static_cast<unsigned>(size));
        *loaded = RegState::scalar(sign_extend ? scalar_sign_extend(low, static_cast<unsigned>(size)) : low);
        note_spill_slot(reg.frameno, static_cast<int>(lo));
      }
    }
    if (type == AccessType::kRead) {
      return {};
    }
  }

  // Writes.
  if (stored != nullptr && stored->is_pointer()) {
    if (stored->type == RegType::kStack && reg.frameno != cur_.curframe()) {
      return refuse("cannot spill pointers to stack into stack frame of the caller");
    }
    if (variable) {
      return refuse(fmt::format("R{} variable-offset stack write of a pointer is not supported", regno));
    }
    if ((size != 8 || lo % 8 != 0) && (type_.kernel_isa || !allow_ptr_leaks())) {
      return refuse("invalid size of register spill");
    }
  }
  const bool zero = type == AccessType::kWrite && is_zero(stored);
  if (!variable && type == AccessType::kWrite && size == 8 && lo % 8 == 0 && !zero && stored != nullptr) {
    StackSlot& slot = frame.slot_at(static_cast<int>(lo));
    slot.bytes.fill(SlotType::kSpill);
    slot.spilled = *stored;
    note_spill_slot(reg.frameno, static_cast<int>(lo));
    return {};
  }
  // Byte-wise: bytes certainly written become known (zero or unknown); with a variable offset only
  // bytes already initialised may be marked, since the others may not have been written.
  for (int64_t b = lo; b < hi; ++b) {
    StackSlot& slot = frame.slot_at(static_cast<int>(b));
    if (slot.is_spill()) {
      if (slot.spilled.is_pointer() && !allow_ptr_leaks()) {
        return refuse("attempt to corrupt spilled pointer on stack");
      }
      slot.bytes.fill(SlotType::kMisc);
      slot.spilled = RegState{};
    }
    SlotType& t = slot.bytes[static_cast<size_t>((b % 8 + 8) % 8)];
    if (variable) {
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

// ---- lddw and legacy packet loads -----------------------------------------------------------------

int Verifier::map_index(LddwSrc source, int32_t ref, Error& error) {
  const bool by_index = source == LddwSrc::kMapIdx || source == LddwSrc::kMapIdxValue;
  const auto key = std::make_pair(by_index ? 1 : 0, ref);
  if (auto it = map_by_ref_.find(key); it != map_by_ref_.end()) {
    return it->second;
  }
  if (!options_.maps) {
    error = refuse(fmt::format("{} {} names a map, but no map metadata was given to the verifier",
                               by_index ? "map index" : "map fd", ref));
    return -1;
  }
  auto info = options_.maps(source, ref);
  if (!info) {
    error = refuse(fmt::format("{} {}: {}", by_index ? "map index" : "map fd", ref, info.error().message));
    return -1;
  }
  maps_.push_back(std::move(*info));
  const int index = static_cast<int>(maps_.size()) - 1;
  map_by_ref_.emplace(key, index);
  return index;
}

Status Verifier::check_lddw(const Instruction& insn) {
  const auto i = static_cast<size_t>(cur_.insn);
  const auto source = static_cast<LddwSrc>(insn.src);
  RegState value;
  switch (source) {
    case LddwSrc::kImm64:
      value = RegState::constant(program_.lddw_imm64(i));
      break;
    case LddwSrc::kMapFd:
    case LddwSrc::kMapIdx:
    case LddwSrc::kMapValue:
    case LddwSrc::kMapIdxValue: {
      Error error;
      const int map = map_index(source, insn.imm, error);
      if (map < 0) {
        return error;
      }
      const MapInfo& info = maps_[static_cast<size_t>(map)];
      if (source == LddwSrc::kMapFd || source == LddwSrc::kMapIdx) {
        value = RegState::pointer(RegType::kMapPtr);
      } else {
        const auto off = static_cast<uint32_t>(program_[i + 1].imm);
        if (info.type != BPF_MAP_TYPE_ARRAY || info.max_entries != 1) {
          return refuse("direct value access is only supported on single-element array maps");
        }
        if (off >= info.value_size) {
          return refuse(fmt::format("invalid access to map value pointer, value_size={} off={}", info.value_size, off));
        }
        value = RegState::pointer(RegType::kMapValue);
        value.off = static_cast<int32_t>(off);
        value.read_only = (info.flags & BPF_F_RDONLY_PROG) != 0;
      }
      value.map = map;
      break;
    }
    case LddwSrc::kBtfId:
      return refuse("lddw btf_id is not supported (bpfrt has no kernel BTF)");
    case LddwSrc::kFunc:
      value = RegState::pointer(RegType::kFunc);
      value.subprog = cfg_.subprog_starting_at(branch_target(program_, i));
      break;
  }
  cur_.reg(insn.dst) = value;
  return {};
}

Status Verifier::check_legacy_packet_load(const OpInfo& info, const Instruction& insn) {
  if (!type_.legacy_packet_loads) {
    return refuse("BPF_LD_[ABS|IND] instructions not allowed for this program type");
  }
  if (type_.kernel_isa) {
    BPFRT_TRY(check_reg_read(6));
    const RegState& ctx = cur_.reg(6);
    if (ctx.type != RegType::kCtx || ctx.off != 0 || !ctx.var.is_const() || ctx.var.const_value() != 0) {
      return refuse("at the time of BPF_LD_ABS|IND R6 != pointer to skb");
    }
  }
  if (!cur_.refs.empty()) {
    return refuse("BPF_LD_[ABS|IND] cannot be mixed with socket references");
  }
  if (info.form == Form::kLdInd) {
    BPFRT_TRY(check_reg_read(insn.src));
    if (cur_.reg(insn.src).is_pointer() && !allow_ptr_leaks()) {
      return refuse(fmt::format("R{} leaks addr into packet offset", insn.src));
    }
  }
  if (cur_.active_lock_id != 0 || cur_.active_lock_map >= 0) {
    return refuse("BPF_LD_[ABS|IND] may end the program while holding a bpf_spin_lock");
  }
  for (int r = 1; r <= 5; ++r) {
    cur_.reg(r) = RegState{};
  }
  cur_.reg(0) = RegState::scalar(Scalar::zero_extended(static_cast<unsigned>(access_size(info))));
  return {};
}

}  // namespace bpfrt::verifier
