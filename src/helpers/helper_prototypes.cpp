#include "helpers/helper_prototypes.hpp"

#include <algorithm>
#include <array>

namespace bpfrt {
namespace {

using A = ArgType;
using R = RetType;

constexpr HelperPrototype proto(R ret, std::initializer_list<A> args, bool changes_packet_data = false) {
  HelperPrototype p{};
  p.ret = ret;
  size_t i = 0;
  for (A a : args) {
    p.args[i++] = a;
  }
  p.changes_packet_data = changes_packet_data;
  return p;
}

// After the kernel's bpf_func_proto definitions (kernel/bpf/helpers.c, kernel/trace/bpf_trace.c, ...).
const std::array kHelpers = {
    StandardHelper{1, "map_lookup_elem", proto(R::kPtrToMapValueOrNull, {A::kConstMapPtr, A::kPtrToMapKey})},
    StandardHelper{2, "map_update_elem",
                   proto(R::kInteger, {A::kConstMapPtr, A::kPtrToMapKey, A::kPtrToMapValue, A::kAnything})},
    StandardHelper{3, "map_delete_elem", proto(R::kInteger, {A::kConstMapPtr, A::kPtrToMapKey})},
    StandardHelper{4, "probe_read", proto(R::kInteger, {A::kPtrToUninitMem, A::kConstSizeOrZero, A::kAnything})},
    StandardHelper{5, "ktime_get_ns", proto(R::kInteger, {})},
    // As the kernel declares it: the format arguments r3-r5 are optional and not checked.
    StandardHelper{6, "trace_printk", proto(R::kInteger, {A::kPtrToMem, A::kConstSize})},
    StandardHelper{7, "get_prandom_u32", proto(R::kInteger, {})},
    StandardHelper{8, "get_smp_processor_id", proto(R::kInteger, {})},
    StandardHelper{12, "tail_call", proto(R::kInteger, {A::kPtrToCtx, A::kConstMapPtr, A::kAnything})},
    StandardHelper{14, "get_current_pid_tgid", proto(R::kInteger, {})},
    StandardHelper{15, "get_current_uid_gid", proto(R::kInteger, {})},
    StandardHelper{16, "get_current_comm", proto(R::kInteger, {A::kPtrToUninitMem, A::kConstSize})},
    StandardHelper{
        25, "perf_event_output",
        proto(R::kInteger, {A::kPtrToCtx, A::kConstMapPtr, A::kAnything, A::kPtrToMem, A::kConstSizeOrZero})},
    StandardHelper{27, "get_stackid", proto(R::kInteger, {A::kPtrToCtx, A::kConstMapPtr, A::kAnything})},
    StandardHelper{36, "probe_write_user", proto(R::kInteger, {A::kAnything, A::kPtrToMem, A::kConstSize})},
    StandardHelper{45, "probe_read_str", proto(R::kInteger, {A::kPtrToUninitMem, A::kConstSizeOrZero, A::kAnything})},
    StandardHelper{58, "override_return", proto(R::kInteger, {A::kPtrToCtx, A::kAnything})},
    StandardHelper{67, "get_stack",
                   proto(R::kInteger, {A::kPtrToCtx, A::kPtrToUninitMem, A::kConstSizeOrZero, A::kAnything})},
    StandardHelper{87, "map_push_elem", proto(R::kInteger, {A::kConstMapPtr, A::kPtrToMapValue, A::kAnything})},
    StandardHelper{88, "map_pop_elem", proto(R::kInteger, {A::kConstMapPtr, A::kPtrToUninitMapValue})},
    StandardHelper{89, "map_peek_elem", proto(R::kInteger, {A::kConstMapPtr, A::kPtrToUninitMapValue})},
    StandardHelper{93, "spin_lock", proto(R::kVoid, {A::kPtrToSpinLock})},
    StandardHelper{94, "spin_unlock", proto(R::kVoid, {A::kPtrToSpinLock})},
    StandardHelper{109, "send_signal", proto(R::kInteger, {A::kAnything})},
    StandardHelper{112, "probe_read_user", proto(R::kInteger, {A::kPtrToUninitMem, A::kConstSizeOrZero, A::kAnything})},
    StandardHelper{113, "probe_read_kernel",
                   proto(R::kInteger, {A::kPtrToUninitMem, A::kConstSizeOrZero, A::kAnything})},
    StandardHelper{114, "probe_read_user_str",
                   proto(R::kInteger, {A::kPtrToUninitMem, A::kConstSizeOrZero, A::kAnything})},
    StandardHelper{115, "probe_read_kernel_str",
                   proto(R::kInteger, {A::kPtrToUninitMem, A::kConstSizeOrZero, A::kAnything})},
    StandardHelper{125, "ktime_get_boot_ns", proto(R::kInteger, {})},
    StandardHelper{130, "ringbuf_output",
                   proto(R::kInteger, {A::kConstMapPtr, A::kPtrToMem, A::kConstSizeOrZero, A::kAnything})},
    StandardHelper{131, "ringbuf_reserve",
                   proto(R::kPtrToAllocMemOrNull, {A::kConstMapPtr, A::kConstAllocSizeOrZero, A::kAnything})},
    StandardHelper{132, "ringbuf_submit", proto(R::kVoid, {A::kPtrToAllocMem, A::kAnything})},
    StandardHelper{133, "ringbuf_discard", proto(R::kVoid, {A::kPtrToAllocMem, A::kAnything})},
    StandardHelper{134, "ringbuf_query", proto(R::kInteger, {A::kConstMapPtr, A::kAnything})},
    StandardHelper{160, "ktime_get_coarse_ns", proto(R::kInteger, {})},
    StandardHelper{164, "for_each_map_elem",
                   proto(R::kInteger, {A::kConstMapPtr, A::kPtrToFunc, A::kPtrToStackOrNull, A::kAnything})},
    StandardHelper{165, "snprintf",
                   proto(R::kInteger, {A::kPtrToUninitMemOrNull, A::kConstSizeOrZero, A::kPtrToConstStr,
                                       A::kPtrToMemOrNull, A::kConstSizeOrZero})},
    StandardHelper{173, "get_func_ip", proto(R::kInteger, {A::kPtrToCtx})},
    StandardHelper{174, "get_attach_cookie", proto(R::kInteger, {A::kPtrToCtx})},
    StandardHelper{177, "trace_vprintk",
                   proto(R::kInteger, {A::kPtrToMem, A::kConstSize, A::kPtrToMemOrNull, A::kConstSizeOrZero})},
    StandardHelper{181, "loop", proto(R::kInteger, {A::kAnything, A::kPtrToFunc, A::kPtrToStackOrNull, A::kAnything})},
    StandardHelper{182, "strncmp", proto(R::kInteger, {A::kPtrToMem, A::kConstSize, A::kPtrToConstStr})},
    StandardHelper{183, "get_func_arg", proto(R::kInteger, {A::kPtrToCtx, A::kAnything, A::kPtrToLong})},
    StandardHelper{184, "get_func_ret", proto(R::kInteger, {A::kPtrToCtx, A::kPtrToLong})},
    StandardHelper{185, "get_func_arg_cnt", proto(R::kInteger, {A::kPtrToCtx})},
    StandardHelper{186, "get_retval", proto(R::kInteger, {})},
    StandardHelper{187, "set_retval", proto(R::kInteger, {A::kAnything})},
};

}  // namespace

std::span<const StandardHelper> standard_helpers() {
  return kHelpers;
}

const StandardHelper* find_standard_helper(int32_t id) {
  auto it = std::lower_bound(kHelpers.begin(), kHelpers.end(), id,
                             [](const StandardHelper& h, int32_t v) { return h.id < v; });
  return it != kHelpers.end() && it->id == id ? &*it : nullptr;
}

const StandardHelper* find_standard_helper(std::string_view name) {
  auto it = std::find_if(kHelpers.begin(), kHelpers.end(), [&](const StandardHelper& h) { return h.name == name; });
  return it != kHelpers.end() ? &*it : nullptr;
}

HelperTable standard_helper_prototypes() {
  HelperTable table;
  for (const StandardHelper& h : kHelpers) {
    (void)table.add(HelperEntry{h.id, std::string(h.name), nullptr, h.prototype});  // ids are unique
  }
  return table;
}

}  // namespace bpfrt
