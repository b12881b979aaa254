// The program-type table. Context layouts follow the kernel's uapi structs (__sk_buff, xdp_md,
// pt_regs, bpf_perf_event_data) and its *_is_valid_access rules; helper lists follow the kernel's
// per-type func_proto functions for the helpers bpfrt knows.
#include "verifier/program_types.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include <fmt/format.h>

namespace bpfrt::verifier {
namespace {

using K = CtxFieldKind;

// struct __sk_buff as a socket filter sees it: no packet pointers, only cb[] writable.
constexpr std::array kSocketFilterFields = {
    CtxField{"len", 0, 4, kNarrow32, 0},
    CtxField{"pkt_type", 4, 4, kNarrow32, 0},
    CtxField{"mark", 8, 4, kNarrow32, 0},
    CtxField{"queue_mapping", 12, 4, kNarrow32, 0},
    CtxField{"protocol", 16, 4, kNarrow32, 0},
    CtxField{"vlan_present", 20, 4, kNarrow32, 0},
    CtxField{"vlan_tci", 24, 4, kNarrow32, 0},
    CtxField{"vlan_proto", 28, 4, kNarrow32, 0},
    CtxField{"priority", 32, 4, kNarrow32, 0},
    CtxField{"ingress_ifindex", 36, 4, kNarrow32, 0},
    CtxField{"ifindex", 40, 4, kNarrow32, 0},
    CtxField{"tc_index", 44, 4, kNarrow32, 0},
    CtxField{"cb", 48, 20, kAnySize, kAnySize},
    CtxField{"hash", 68, 4, kNarrow32, 0},
    CtxField{"napi_id", 84, 4, kNarrow32, 0},
    CtxField{"gso_segs", 164, 4, kNarrow32, 0},
    CtxField{"sk", 168, 8, kSize8, 0, K::kUnsupported},
    CtxField{"gso_size", 176, 4, kNarrow32, 0},
};

// struct __sk_buff for tc classifiers: packet pointers, and the fields tc may rewrite.
constexpr std::array kSchedClsFields = {
    CtxField{"len", 0, 4, kNarrow32, 0},
    CtxField{"pkt_type", 4, 4, kNarrow32, 0},
    CtxField{"mark", 8, 4, kNarrow32, kSize4},
    CtxField{"queue_mapping", 12, 4, kNarrow32, kSize4},
    CtxField{"protocol", 16, 4, kNarrow32, 0},
    CtxField{"vlan_present", 20, 4, kNarrow32, 0},
    CtxField{"vlan_tci", 24, 4, kNarrow32, 0},
    CtxField{"vlan_proto", 28, 4, kNarrow32, 0},
    CtxField{"priority", 32, 4, kNarrow32, kSize4},
    CtxField{"ingress_ifindex", 36, 4, kNarrow32, 0},
    CtxField{"ifindex", 40, 4, kNarrow32, 0},
    CtxField{"tc_index", 44, 4, kNarrow32, kSize4},
    CtxField{"cb", 48, 20, kAnySize, kAnySize},
    CtxField{"hash", 68, 4, kNarrow32, 0},
    CtxField{"tc_classid", 72, 4, kNarrow32, kSize4},
    CtxField{"data", 76, 4, kSize4, 0, K::kPacketData},
    CtxField{"data_end", 80, 4, kSize4, 0, K::kPacketEnd},
    CtxField{"napi_id", 84, 4, kNarrow32, 0},
    CtxField{"data_meta", 140, 4, kSize4, 0, K::kPacketMeta},
    CtxField{"tstamp", 152, 8, kSize8, kSize8},
    CtxField{"wire_len", 160, 4, kNarrow32, 0},
    CtxField{"gso_segs", 164, 4, kNarrow32, 0},
    CtxField{"sk", 168, 8, kSize8, 0, K::kUnsupported},
    CtxField{"gso_size", 176, 4, kNarrow32, 0},
    CtxField{"hwtstamp", 184, 8, kSize8, 0},
};

// struct xdp_md (egress_ifindex is only for devmap programs).
constexpr std::array kXdpFields = {
    CtxField{"data", 0, 4, kSize4, 0, K::kPacketData},      CtxField{"data_end", 4, 4, kSize4, 0, K::kPacketEnd},
    CtxField{"data_meta", 8, 4, kSize4, 0, K::kPacketMeta}, CtxField{"ingress_ifindex", 12, 4, kSize4, 0},
    CtxField{"rx_queue_index", 16, 4, kSize4, 0},
};

// struct bpf_perf_event_data: the registers only as whole longs, the rest narrow too.
constexpr std::array kPerfEventFields = {
    CtxField{"regs", 0, 168, kSize8, 0},
    CtxField{"sample_period", 168, 8, kAnySize, 0},
    CtxField{"addr", 176, 8, kAnySize, 0},
};

// Helpers every program type gets: the kernel's bpf_base_func_proto as a privileged loader sees it on
// Linux 6.18 (map access, time, random, current task, printk, ring buffers, loops, perf output).
// tests/verifier/kernel_agreement_test.cpp compares these lists against the running kernel.
#define BPFRT_BASE_HELPERS                                                                                            \
  1, 2, 3, 5, 6, 7, 8, 12, 14, 15, 16, 22, 25, 35, 42, 55, 80, 87, 88, 89, 93, 94, 109, 112, 113, 114, 115, 117, 118, \
      125, 130, 131, 132, 133, 134, 164, 165, 177, 181, 182
// What tracing programs add: the legacy probe_read, stacks, the probed function's address and cookie.
// (Tracing programs lose ktime_get_coarse_ns, 160.)
#define BPFRT_TRACING_HELPERS 4, 27, 45, 67, 173

constexpr int32_t kSocketFilterHelpers[] = {BPFRT_BASE_HELPERS, 160, 26, 46, 47, 68};
constexpr int32_t kSchedClsHelpers[] = {
    BPFRT_BASE_HELPERS, 160, 9, 10, 11, 13, 17, 18, 19, 20, 21, 23, 24, 26, 28, 34, 38, 39, 41, 43, 46, 47, 50, 68};
constexpr int32_t kXdpHelpers[] = {BPFRT_BASE_HELPERS, 160, 23, 28, 44, 51, 54, 65, 69};
// probe_write_user (36) and override_return (58) depend on the kernel's lockdown and configuration.
constexpr int32_t kKprobeHelpers[] = {BPFRT_BASE_HELPERS, BPFRT_TRACING_HELPERS, 36, 58, 174};
constexpr int32_t kTracepointHelpers[] = {BPFRT_BASE_HELPERS, BPFRT_TRACING_HELPERS, 174};
constexpr int32_t kPerfEventHelpers[] = {BPFRT_BASE_HELPERS, BPFRT_TRACING_HELPERS, 56, 119, 174};
constexpr int32_t kRawTracepointHelpers[] = {BPFRT_BASE_HELPERS, BPFRT_TRACING_HELPERS, 174};
constexpr int32_t kSyscallHelpers[] = {BPFRT_BASE_HELPERS, BPFRT_TRACING_HELPERS, 46, 166, 167, 168};

#undef BPFRT_BASE_HELPERS
#undef BPFRT_TRACING_HELPERS

ProgramTypeInfo make_fields(ProgramType type, std::string_view name, std::string_view ctx, uint32_t size,
                            std::span<const CtxField> fields, std::span<const int32_t> helpers) {
  ProgramTypeInfo info{};
  info.type = type;
  info.name = name;
  info.context_name = ctx;
  info.ctx_model = CtxModel::kFields;
  info.ctx_size = size;
  info.fields = fields;
  info.helpers = helpers;
  return info;
}

ProgramTypeInfo make_window(ProgramType type, std::string_view name, std::string_view ctx, uint32_t lo, uint32_t hi,
                            bool writable, std::span<const int32_t> helpers) {
  ProgramTypeInfo info{};
  info.type = type;
  info.name = name;
  info.context_name = ctx;
  info.ctx_model = CtxModel::kWindow;
  info.ctx_size = hi;
  info.window_lo = lo;
  info.window_hi = hi;
  info.window_read_sizes = kAnySize;
  info.window_write_sizes = writable ? kAnySize : 0;
  info.helpers = helpers;
  return info;
}

std::array<ProgramTypeInfo, 9> build_table() {
  ProgramTypeInfo socket_filter = make_fields(ProgramType::kSocketFilter, "socket_filter", "struct __sk_buff", 192,
                                              kSocketFilterFields, kSocketFilterHelpers);
  socket_filter.allow_ptr_leaks = false;  // the one type unprivileged users may load in the kernel
  socket_filter.legacy_packet_loads = true;

  ProgramTypeInfo sched_cls =
      make_fields(ProgramType::kSchedCls, "sched_cls", "struct __sk_buff", 192, kSchedClsFields, kSchedClsHelpers);
  sched_cls.packet_read = sched_cls.packet_write = true;
  sched_cls.legacy_packet_loads = true;

  ProgramTypeInfo xdp = make_fields(ProgramType::kXdp, "xdp", "struct xdp_md", 24, kXdpFields, kXdpHelpers);
  xdp.packet_read = xdp.packet_write = true;

  ProgramTypeInfo raw{};
  raw.type = ProgramType::kRaw;
  raw.name = "raw";
  raw.context_name = "memory";
  raw.ctx_model = CtxModel::kMemory;
  raw.all_helpers = true;
  raw.legacy_packet_loads = true;
  raw.raw_registers = true;
  raw.kernel_isa = false;

  return {
      socket_filter,
      make_window(ProgramType::kKprobe, "kprobe", "struct pt_regs", 0, 168, false, kKprobeHelpers),
      sched_cls,
      make_window(ProgramType::kTracepoint, "tracepoint", "tracepoint record", 8, 8192, false, kTracepointHelpers),
      xdp,
      make_fields(ProgramType::kPerfEvent, "perf_event", "struct bpf_perf_event_data", 184, kPerfEventFields,
                  kPerfEventHelpers),
      make_window(ProgramType::kRawTracepoint, "raw_tracepoint", "struct bpf_raw_tracepoint_args", 0, 96, false,
                  kRawTracepointHelpers),
      make_window(ProgramType::kSyscall, "syscall", "syscall arguments", 0, 65535, true, kSyscallHelpers),
      raw,
  };
}

struct Alias {
  std::string_view name;
  ProgramType type;
};

constexpr Alias kAliases[] = {
    {"socket", ProgramType::kSocketFilter},
    {"socket_filter", ProgramType::kSocketFilter},
    {"kprobe", ProgramType::kKprobe},
    {"uprobe", ProgramType::kKprobe},
    {"kretprobe", ProgramType::kKprobe},
    {"uretprobe", ProgramType::kKprobe},
    {"sched_cls", ProgramType::kSchedCls},
    {"tc", ProgramType::kSchedCls},
    {"classifier", ProgramType::kSchedCls},
    {"tracepoint", ProgramType::kTracepoint},
    {"tp", ProgramType::kTracepoint},
    {"xdp", ProgramType::kXdp},
    {"perf_event", ProgramType::kPerfEvent},
    {"raw_tracepoint", ProgramType::kRawTracepoint},
    {"raw_tp", ProgramType::kRawTracepoint},
    {"syscall", ProgramType::kSyscall},
    {"raw", ProgramType::kRaw},
};

}  // namespace

std::span<const ProgramTypeInfo> program_type_table() {
  static const std::array<ProgramTypeInfo, 9> table = build_table();
  return table;
}

const ProgramTypeInfo* find_program_type(ProgramType type) {
  for (const ProgramTypeInfo& info : program_type_table()) {
    if (info.type == type) {
      return &info;
    }
  }
  return nullptr;
}

bool type_allows_helper(const ProgramTypeInfo& info, int32_t helper_id) {
  if (info.all_helpers || helper_id > kLastKernelHelper || helper_id < 0) {
    return true;
  }
  return std::find(info.helpers.begin(), info.helpers.end(), helper_id) != info.helpers.end();
}

const CtxField* find_ctx_field(const ProgramTypeInfo& info, int64_t offset, int size) {
  for (const CtxField& field : info.fields) {
    if (offset >= field.offset && offset + size <= static_cast<int64_t>(field.offset + field.size)) {
      return &field;
    }
  }
  return nullptr;
}

}  // namespace bpfrt::verifier

namespace bpfrt {

const char* program_type_name(ProgramType type) {
  const verifier::ProgramTypeInfo* info = verifier::find_program_type(type);
  return info != nullptr ? info->name.data() : "unknown";
}

Result<ProgramType> parse_program_type(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) {
    c = static_cast<char>(c == '-' ? '_' : std::tolower(static_cast<unsigned char>(c)));
  }
  for (const verifier::Alias& alias : verifier::kAliases) {
    if (alias.name == lower) {
      return alias.type;
    }
  }
  std::string known;
  for (const verifier::ProgramTypeInfo& info : verifier::program_type_table()) {
    known += (known.empty() ? "" : ", ") + std::string(info.name);
  }
  return make_error(ErrorCode::kInvalidArgument, fmt::format("unknown program type '{}' (expected {}, or uprobe, tc, "
                                                             "raw_tp)",
                                                             name, known));
}

std::vector<ProgramType> program_types() {
  std::vector<ProgramType> out;
  for (const verifier::ProgramTypeInfo& info : verifier::program_type_table()) {
    out.push_back(info.type);
  }
  return out;
}

}  // namespace bpfrt
