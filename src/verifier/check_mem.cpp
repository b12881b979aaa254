// Loads, stores and atomics: every access must fall inside the region its base pointer points into —
// the context fields of the program type, a map value, helper-returned memory, packet bytes proven
// before data_end, or the stack (check_stack.cpp).
#include <algorithm>

#include <fmt/format.h>
#include <linux/bpf.h>

#include "verifier/mem_util.hpp"
#include "verifier/verifier_env.hpp"

namespace bpfrt::verifier {

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

}  // namespace bpfrt::verifier
