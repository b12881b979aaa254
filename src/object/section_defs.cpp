#include "object/section_defs.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

#include <fmt/format.h>
#include <linux/bpf.h>

namespace bpfrt::object {
namespace {

enum Flags : uint8_t {
  kExact = 0,      // the name must equal the prefix
  kPlus = 1,       // "x" or "x/extras"
  kSleepable = 2,  // a sleepable variant (".s")
  kReturn = 4,     // a return probe
};

struct SectionDef {
  std::string_view prefix;
  bpf_prog_type type;
  bpf_attach_type attach;
  uint8_t flags;
  AttachKind kind;
};

constexpr auto kNoAttach = static_cast<bpf_attach_type>(0);

// clang-format off
constexpr SectionDef kSectionDefs[] = {
  {"socket",                 BPF_PROG_TYPE_SOCKET_FILTER, kNoAttach, kExact, AttachKind::kNone},
  {"sk_reuseport/migrate",   BPF_PROG_TYPE_SK_REUSEPORT, BPF_SK_REUSEPORT_SELECT_OR_MIGRATE, kExact, AttachKind::kNone},
  {"sk_reuseport",           BPF_PROG_TYPE_SK_REUSEPORT, BPF_SK_REUSEPORT_SELECT, kExact, AttachKind::kNone},
  {"kprobe",                 BPF_PROG_TYPE_KPROBE, kNoAttach, kPlus, AttachKind::kKprobe},
  {"kretprobe",              BPF_PROG_TYPE_KPROBE, kNoAttach, kPlus | kReturn, AttachKind::kKprobe},
  {"uprobe",                 BPF_PROG_TYPE_KPROBE, kNoAttach, kPlus, AttachKind::kUprobe},
  {"uprobe.s",               BPF_PROG_TYPE_KPROBE, kNoAttach, kPlus | kSleepable, AttachKind::kUprobe},
  {"uretprobe",              BPF_PROG_TYPE_KPROBE, kNoAttach, kPlus | kReturn, AttachKind::kUprobe},
  {"uretprobe.s",            BPF_PROG_TYPE_KPROBE, kNoAttach, kPlus | kReturn | kSleepable, AttachKind::kUprobe},
  {"kprobe.multi",           BPF_PROG_TYPE_KPROBE, BPF_TRACE_KPROBE_MULTI, kPlus, AttachKind::kKprobeMulti},
  {"kretprobe.multi",        BPF_PROG_TYPE_KPROBE, BPF_TRACE_KPROBE_MULTI, kPlus | kReturn, AttachKind::kKprobeMulti},
  {"ksyscall",               BPF_PROG_TYPE_KPROBE, kNoAttach, kPlus, AttachKind::kKsyscall},
  {"kretsyscall",            BPF_PROG_TYPE_KPROBE, kNoAttach, kPlus | kReturn, AttachKind::kKsyscall},
  {"usdt",                   BPF_PROG_TYPE_KPROBE, kNoAttach, kPlus, AttachKind::kUsdt},
  {"tc",                     BPF_PROG_TYPE_SCHED_CLS, kNoAttach, kExact, AttachKind::kNone},
  {"classifier",             BPF_PROG_TYPE_SCHED_CLS, kNoAttach, kExact, AttachKind::kNone},
  {"action",                 BPF_PROG_TYPE_SCHED_ACT, kNoAttach, kExact, AttachKind::kNone},
  {"tracepoint",             BPF_PROG_TYPE_TRACEPOINT, kNoAttach, kPlus, AttachKind::kTracepoint},
  {"tp",                     BPF_PROG_TYPE_TRACEPOINT, kNoAttach, kPlus, AttachKind::kTracepoint},
  {"raw_tracepoint",         BPF_PROG_TYPE_RAW_TRACEPOINT, kNoAttach, kPlus, AttachKind::kRawTracepoint},
  {"raw_tp",                 BPF_PROG_TYPE_RAW_TRACEPOINT, kNoAttach, kPlus, AttachKind::kRawTracepoint},
  {"raw_tracepoint.w",       BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, kNoAttach, kPlus, AttachKind::kRawTracepoint},
  {"raw_tp.w",               BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, kNoAttach, kPlus, AttachKind::kRawTracepoint},
  {"tp_btf",                 BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP, kPlus, AttachKind::kBtf},
  {"fentry",                 BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, kPlus, AttachKind::kBtf},
  {"fmod_ret",               BPF_PROG_TYPE_TRACING, BPF_MODIFY_RETURN, kPlus, AttachKind::kBtf},
  {"fexit",                  BPF_PROG_TYPE_TRACING, BPF_TRACE_FEXIT, kPlus | kReturn, AttachKind::kBtf},
  {"fentry.s",               BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, kPlus | kSleepable, AttachKind::kBtf},
  {"fmod_ret.s",             BPF_PROG_TYPE_TRACING, BPF_MODIFY_RETURN, kPlus | kSleepable, AttachKind::kBtf},
  {"fexit.s",                BPF_PROG_TYPE_TRACING, BPF_TRACE_FEXIT, kPlus | kReturn | kSleepable, AttachKind::kBtf},
  {"freplace",               BPF_PROG_TYPE_EXT, kNoAttach, kPlus, AttachKind::kBtf},
  {"lsm",                    BPF_PROG_TYPE_LSM, BPF_LSM_MAC, kPlus, AttachKind::kBtf},
  {"lsm.s",                  BPF_PROG_TYPE_LSM, BPF_LSM_MAC, kPlus | kSleepable, AttachKind::kBtf},
  {"lsm_cgroup",             BPF_PROG_TYPE_LSM, BPF_LSM_CGROUP, kPlus, AttachKind::kBtf},
  {"iter",                   BPF_PROG_TYPE_TRACING, BPF_TRACE_ITER, kPlus, AttachKind::kBtf},
  {"iter.s",                 BPF_PROG_TYPE_TRACING, BPF_TRACE_ITER, kPlus | kSleepable, AttachKind::kBtf},
  {"syscall",                BPF_PROG_TYPE_SYSCALL, kNoAttach, kExact | kSleepable, AttachKind::kNone},
  {"xdp.frags/devmap",       BPF_PROG_TYPE_XDP, BPF_XDP_DEVMAP, kExact, AttachKind::kNone},
  {"xdp/devmap",             BPF_PROG_TYPE_XDP, BPF_XDP_DEVMAP, kExact, AttachKind::kNone},
  {"xdp.frags/cpumap",       BPF_PROG_TYPE_XDP, BPF_XDP_CPUMAP, kExact, AttachKind::kNone},
  {"xdp/cpumap",             BPF_PROG_TYPE_XDP, BPF_XDP_CPUMAP, kExact, AttachKind::kNone},
  {"xdp.frags",              BPF_PROG_TYPE_XDP, BPF_XDP, kExact, AttachKind::kNone},
  {"xdp",                    BPF_PROG_TYPE_XDP, BPF_XDP, kExact, AttachKind::kNone},
  {"perf_event",             BPF_PROG_TYPE_PERF_EVENT, kNoAttach, kExact, AttachKind::kNone},
  {"lwt_in",                 BPF_PROG_TYPE_LWT_IN, kNoAttach, kExact, AttachKind::kNone},
  {"lwt_out",                BPF_PROG_TYPE_LWT_OUT, kNoAttach, kExact, AttachKind::kNone},
  {"lwt_xmit",               BPF_PROG_TYPE_LWT_XMIT, kNoAttach, kExact, AttachKind::kNone},
  {"lwt_seg6local",          BPF_PROG_TYPE_LWT_SEG6LOCAL, kNoAttach, kExact, AttachKind::kNone},
  {"sockops",                BPF_PROG_TYPE_SOCK_OPS, BPF_CGROUP_SOCK_OPS, kExact, AttachKind::kNone},
  {"sk_skb/stream_parser",   BPF_PROG_TYPE_SK_SKB, BPF_SK_SKB_STREAM_PARSER, kExact, AttachKind::kNone},
  {"sk_skb/stream_verdict",  BPF_PROG_TYPE_SK_SKB, BPF_SK_SKB_STREAM_VERDICT, kExact, AttachKind::kNone},
  {"sk_skb",                 BPF_PROG_TYPE_SK_SKB, kNoAttach, kExact, AttachKind::kNone},
  {"sk_msg",                 BPF_PROG_TYPE_SK_MSG, BPF_SK_MSG_VERDICT, kExact, AttachKind::kNone},
  {"lirc_mode2",             BPF_PROG_TYPE_LIRC_MODE2, BPF_LIRC_MODE2, kExact, AttachKind::kNone},
  {"flow_dissector",         BPF_PROG_TYPE_FLOW_DISSECTOR, BPF_FLOW_DISSECTOR, kExact, AttachKind::kNone},
  {"cgroup_skb/ingress",     BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_INGRESS, kExact, AttachKind::kNone},
  {"cgroup_skb/egress",      BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_EGRESS, kExact, AttachKind::kNone},
  {"cgroup/skb",             BPF_PROG_TYPE_CGROUP_SKB, kNoAttach, kExact, AttachKind::kNone},
  {"cgroup/sock_create",     BPF_PROG_TYPE_CGROUP_SOCK, BPF_CGROUP_INET_SOCK_CREATE, kExact, AttachKind::kNone},
  {"cgroup/sock_release",    BPF_PROG_TYPE_CGROUP_SOCK, BPF_CGROUP_INET_SOCK_RELEASE, kExact, AttachKind::kNone},
  {"cgroup/sock",            BPF_PROG_TYPE_CGROUP_SOCK, BPF_CGROUP_INET_SOCK_CREATE, kExact, AttachKind::kNone},
  {"cgroup/post_bind4",      BPF_PROG_TYPE_CGROUP_SOCK, BPF_CGROUP_INET4_POST_BIND, kExact, AttachKind::kNone},
  {"cgroup/post_bind6",      BPF_PROG_TYPE_CGROUP_SOCK, BPF_CGROUP_INET6_POST_BIND, kExact, AttachKind::kNone},
  {"cgroup/bind4",           BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_BIND, kExact, AttachKind::kNone},
  {"cgroup/bind6",           BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET6_BIND, kExact, AttachKind::kNone},
  {"cgroup/connect4",        BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_CONNECT, kExact, AttachKind::kNone},
  {"cgroup/connect6",        BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET6_CONNECT, kExact, AttachKind::kNone},
  {"cgroup/sendmsg4",        BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_UDP4_SENDMSG, kExact, AttachKind::kNone},
  {"cgroup/sendmsg6",        BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_UDP6_SENDMSG, kExact, AttachKind::kNone},
  {"cgroup/recvmsg4",        BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_UDP4_RECVMSG, kExact, AttachKind::kNone},
  {"cgroup/recvmsg6",        BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_UDP6_RECVMSG, kExact, AttachKind::kNone},
  {"cgroup/getpeername4",    BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_GETPEERNAME, kExact, AttachKind::kNone},
  {"cgroup/getpeername6",    BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET6_GETPEERNAME, kExact, AttachKind::kNone},
  {"cgroup/getsockname4",    BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_GETSOCKNAME, kExact, AttachKind::kNone},
  {"cgroup/getsockname6",    BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET6_GETSOCKNAME, kExact, AttachKind::kNone},
  {"cgroup/sysctl",          BPF_PROG_TYPE_CGROUP_SYSCTL, BPF_CGROUP_SYSCTL, kExact, AttachKind::kNone},
  {"cgroup/getsockopt",      BPF_PROG_TYPE_CGROUP_SOCKOPT, BPF_CGROUP_GETSOCKOPT, kExact, AttachKind::kNone},
  {"cgroup/setsockopt",      BPF_PROG_TYPE_CGROUP_SOCKOPT, BPF_CGROUP_SETSOCKOPT, kExact, AttachKind::kNone},
  {"cgroup/dev",             BPF_PROG_TYPE_CGROUP_DEVICE, BPF_CGROUP_DEVICE, kExact, AttachKind::kNone},
  {"struct_ops",             BPF_PROG_TYPE_STRUCT_OPS, kNoAttach, kPlus, AttachKind::kStructOps},
  {"sk_lookup",              BPF_PROG_TYPE_SK_LOOKUP, BPF_SK_LOOKUP, kExact, AttachKind::kNone},
};
// clang-format on

// The part after "prefix/", or nullopt when the row does not match.
std::optional<std::string_view> match(const SectionDef& def, std::string_view name) {
  if ((def.flags & kPlus) == 0) {
    return name == def.prefix ? std::optional<std::string_view>("") : std::nullopt;
  }
  if (!name.starts_with(def.prefix)) {
    return std::nullopt;
  }
  const std::string_view rest = name.substr(def.prefix.size());
  if (rest.empty()) {
    return rest;
  }
  if (rest.front() != '/') {
    return std::nullopt;
  }
  return rest.substr(1);
}

Error bad_target(std::string_view section, std::string_view why) {
  return make_error(ErrorCode::kInvalidArgument, fmt::format("section '{}': {}", section, why));
}

bool is_symbol_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '@';
}

// "NAME[+OFFSET]" with NAME of [A-Za-z0-9_.@] and OFFSET decimal or 0x-hex.
Status parse_function_offset(std::string_view section, std::string_view text, AttachPoint& out) {
  const size_t plus = text.find('+');
  const std::string_view fn = text.substr(0, plus);
  if (fn.empty() || !std::all_of(fn.begin(), fn.end(), is_symbol_char)) {
    return bad_target(section, fmt::format("'{}' is not a function name", fn));
  }
  out.target = std::string(fn);
  if (plus == std::string_view::npos) {
    return {};
  }
  std::string_view off = text.substr(plus + 1);
  int base = 10;
  if (off.starts_with("0x") || off.starts_with("0X")) {
    off.remove_prefix(2);
    base = 16;
  }
  auto [ptr, ec] = std::from_chars(off.data(), off.data() + off.size(), out.offset, base);
  if (off.empty() || ec != std::errc() || ptr != off.data() + off.size()) {
    return bad_target(section, fmt::format("'{}' is not a valid offset", text.substr(plus + 1)));
  }
  return {};
}

Status parse_target(std::string_view section, std::string_view rest, AttachPoint& out) {
  if (rest.empty()) {
    return {};  // attached by hand, with the target given at attach time
  }
  switch (out.kind) {
    case AttachKind::kNone:
      return {};
    case AttachKind::kKprobe:
      BPFRT_TRY(parse_function_offset(section, rest, out));
      if (out.is_return && out.offset != 0) {
        return bad_target(section, "a kretprobe cannot have an offset");
      }
      return {};
    case AttachKind::kUprobe: {
      // BINARY:FUNCTION[+OFFSET]; the binary may itself contain '/'.
      const size_t colon = rest.rfind(':');
      if (colon == std::string_view::npos || colon == 0) {
        return bad_target(section, "expected uprobe/BINARY:FUNCTION[+OFFSET]");
      }
      out.binary = std::string(rest.substr(0, colon));
      return parse_function_offset(section, rest.substr(colon + 1), out);
    }
    case AttachKind::kUsdt: {
      // BINARY:PROVIDER:NAME
      const size_t last = rest.rfind(':');
      const size_t mid =
          last == std::string_view::npos || last == 0 ? std::string_view::npos : rest.rfind(':', last - 1);
      if (mid == std::string_view::npos || mid == 0 || last + 1 == rest.size() || last == mid + 1) {
        return bad_target(section, "expected usdt/BINARY:PROVIDER:NAME");
      }
      out.binary = std::string(rest.substr(0, mid));
      out.category = std::string(rest.substr(mid + 1, last - mid - 1));
      out.target = std::string(rest.substr(last + 1));
      return {};
    }
    case AttachKind::kTracepoint: {
      const size_t slash = rest.find('/');
      if (slash == std::string_view::npos || slash == 0 || slash + 1 == rest.size() ||
          rest.find('/', slash + 1) != std::string_view::npos) {
        return bad_target(section, "expected tracepoint/CATEGORY/NAME");
      }
      out.category = std::string(rest.substr(0, slash));
      out.target = std::string(rest.substr(slash + 1));
      return {};
    }
    case AttachKind::kKprobeMulti:
    case AttachKind::kKsyscall:
    case AttachKind::kRawTracepoint:
    case AttachKind::kBtf:
    case AttachKind::kStructOps:
      out.target = std::string(rest);
      return {};
  }
  return {};
}

}  // namespace

Result<ProgramSection> classify_section(std::string_view section) {
  for (const SectionDef& def : kSectionDefs) {
    const auto rest = match(def, section);
    if (!rest) {
      continue;
    }
    ProgramSection out;
    out.type = def.type;
    out.expected_attach_type = def.attach;
    out.attach.kind = def.kind;
    out.attach.is_return = (def.flags & kReturn) != 0;
    out.attach.sleepable = (def.flags & kSleepable) != 0;
    BPFRT_TRY(parse_target(section, *rest, out.attach));
    return out;
  }
  return make_error(ErrorCode::kInvalidArgument,
                    fmt::format("section '{}': unknown program section (not one of libbpf's SEC() names such as "
                                "xdp, tc, socket, kprobe/FUNC, uprobe/BIN:FUNC, tracepoint/CAT/NAME, raw_tp/NAME, "
                                "syscall)",
                                section));
}

}  // namespace bpfrt::object
