// Names of the kernel enumerations and of the loader's own, for the CLI and messages.
#include <bpf/libbpf.h>
#include <fmt/format.h>

#include "bpfrt/object.hpp"

namespace bpfrt {

const char* attach_kind_name(AttachKind kind) {
  switch (kind) {
    case AttachKind::kNone:
      return "none";
    case AttachKind::kKprobe:
      return "kprobe";
    case AttachKind::kKprobeMulti:
      return "kprobe_multi";
    case AttachKind::kKsyscall:
      return "ksyscall";
    case AttachKind::kUprobe:
      return "uprobe";
    case AttachKind::kUsdt:
      return "usdt";
    case AttachKind::kTracepoint:
      return "tracepoint";
    case AttachKind::kRawTracepoint:
      return "raw_tracepoint";
    case AttachKind::kBtf:
      return "btf";
    case AttachKind::kStructOps:
      return "struct_ops";
  }
  return "?";
}

const char* relocation_kind_name(AppliedRelocation::Kind kind) {
  switch (kind) {
    case AppliedRelocation::Kind::kMap:
      return "map";
    case AppliedRelocation::Kind::kMapValue:
      return "map_value";
    case AppliedRelocation::Kind::kFunc:
      return "func";
    case AppliedRelocation::Kind::kCall:
      return "call";
  }
  return "?";
}

const char* core_relo_kind_name(CoreReloKind kind) {
  // The names of enum bpf_core_relo_kind, as libbpf prints them.
  static constexpr const char* kNames[] = {
      "byte_off",       "byte_sz",       "field_exists",   "signed",      "lshift_u64",
      "rshift_u64",     "local_type_id", "target_type_id", "type_exists", "type_size",
      "enumval_exists", "enumval_value", "type_matches",
  };
  const auto i = static_cast<size_t>(kind);
  return i < std::size(kNames) ? kNames[i] : "?";
}

const char* map_origin_name(MapOrigin origin) {
  switch (origin) {
    case MapOrigin::kBtf:
      return "btf";
    case MapOrigin::kLegacy:
      return "legacy";
    case MapOrigin::kData:
      return "data";
    case MapOrigin::kRodata:
      return "rodata";
    case MapOrigin::kBss:
      return "bss";
  }
  return "?";
}

}  // namespace bpfrt
