// The program-type table: per type, the context layout (which bytes may be read or written, with which
// access sizes, and which fields hold packet pointers), the helpers it may call, the range its return
// value must lie in, and whether it may leak pointers. Kernel numbering and rules; see
// docs/verifier.md for the table in prose. Thread-safety: immutable data.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "bpfrt/verifier.hpp"

namespace bpfrt::verifier {

// What a context load produces.
enum class CtxFieldKind : uint8_t { kScalar, kPacketData, kPacketEnd, kPacketMeta, kUnsupported };

// Bit masks of access sizes in bytes.
inline constexpr uint8_t kSize1 = 1, kSize2 = 2, kSize4 = 4, kSize8 = 8;
inline constexpr uint8_t kNarrow32 = kSize1 | kSize2 | kSize4;
inline constexpr uint8_t kAnySize = kSize1 | kSize2 | kSize4 | kSize8;

// One field of a fixed context layout. An access must lie inside one field, be aligned to its size,
// and use a size in `read_sizes` (loads) or `write_sizes` (stores; 0 = read-only).
struct CtxField {
  std::string_view name;
  uint32_t offset;
  uint32_t size;
  uint8_t read_sizes;
  uint8_t write_sizes;
  CtxFieldKind kind = CtxFieldKind::kScalar;
};

// How the context may be accessed.
enum class CtxModel : uint8_t {
  kFields,  // only the listed fields
  kWindow,  // any aligned access of an allowed size inside [window_lo, window_hi)
  kMemory,  // plain memory of the caller-given size: any access, pointer arithmetic allowed (raw)
};

struct ReturnRange {
  int64_t min;
  int64_t max;
};

struct ProgramTypeInfo {
  ProgramType type;
  std::string_view name;
  std::string_view context_name;  // "struct __sk_buff", ...
  CtxModel ctx_model;
  uint32_t ctx_size;  // kFields/kWindow: the struct size; kMemory: from VerifyOptions
  std::span<const CtxField> fields;
  uint32_t window_lo = 0;
  uint32_t window_hi = 0;
  uint8_t window_read_sizes = 0;
  uint8_t window_write_sizes = 0;
  // Kernel helper ids (BPF_FUNC_*) the type may call. Ids above kLastKernelHelper are bpfrt
  // extensions and are allowed whenever the helper table has them.
  std::span<const int32_t> helpers;
  bool all_helpers = false;  // kRaw: whatever the helper table provides
  std::optional<ReturnRange> return_range;
  bool allow_ptr_leaks = true;
  bool packet_read = false;  // direct packet access through data/data_end
  bool packet_write = false;
  bool legacy_packet_loads = false;  // ldabs/ldind
  bool raw_registers = false;        // r2 = context size at entry (kRaw)
  // The kernel's instruction rules on top of RFC 9669: no shifts by an immediate >= the width, no
  // division by an immediate 0, stack accesses aligned to their size, no callx. kRaw follows RFC 9669
  // alone, as the conformance vectors need.
  bool kernel_isa = true;
};

inline constexpr int32_t kLastKernelHelper = 255;

// nullptr for types bpfrt does not support.
const ProgramTypeInfo* find_program_type(ProgramType type);
std::span<const ProgramTypeInfo> program_type_table();

bool type_allows_helper(const ProgramTypeInfo& info, int32_t helper_id);

// The field holding [offset, offset + size), or nullptr.
const CtxField* find_ctx_field(const ProgramTypeInfo& info, int64_t offset, int size);

}  // namespace bpfrt::verifier
