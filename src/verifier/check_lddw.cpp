// lddw (constants, maps, map values, subprogram addresses) and the legacy packet loads ldabs/ldind.
#include <fmt/format.h>
#include <linux/bpf.h>

#include "verifier/verifier_env.hpp"

namespace bpfrt::verifier {

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
  if (info->spin_lock_offset >= 0) {
    // The kernel's check_map_prog_compatibility: these program types may run where a lock can deadlock.
    const ProgramType t = type_.type;
    if (t == ProgramType::kSocketFilter) {
      error = refuse("socket filter progs cannot use bpf_spin_lock yet");
      return -1;
    }
    if (t == ProgramType::kKprobe || t == ProgramType::kTracepoint || t == ProgramType::kPerfEvent ||
        t == ProgramType::kRawTracepoint) {
      error = refuse("tracing progs cannot use bpf_spin_lock yet");
      return -1;
    }
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
