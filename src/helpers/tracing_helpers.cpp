// Helpers about the traced event (function address, arguments, return value, cookie, overriding the
// return value) through ProbeRunInfo, and user stack traces.
#include <cerrno>
#include <cstring>

#include "helpers/helper_impls.hpp"
#include "helpers/helper_util.hpp"
#include "helpers/user_stack.hpp"

namespace bpfrt::helpers {
namespace {

constexpr uint64_t kSkipMask = 0xff, kUserStack = 1u << 8, kFastCmp = 1u << 9, kReuseStackId = 1u << 10;
constexpr uint64_t kUserBuildId = 1u << 11;
constexpr uint32_t kStackBuildIdFlag = 1u << 5;  // map flag BPF_F_STACK_BUILD_ID

uint64_t neg(long err) {
  return static_cast<uint64_t>(static_cast<int64_t>(err));
}

}  // namespace

uint64_t get_func_ip(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, RunContext* rc) {
  const ProbeRunInfo* info = probe_info(rc);
  return info != nullptr ? info->func_ip : 0;
}

uint64_t get_attach_cookie(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, RunContext* rc) {
  const ProbeRunInfo* info = probe_info(rc);
  return info != nullptr ? info->cookie : 0;
}

uint64_t get_func_arg(uint64_t, uint64_t n, uint64_t value, uint64_t, uint64_t, RunContext* rc) {
  if (!check_memory(rc, value, 8, true, "bpf_get_func_arg: the result is outside the program's memory")) {
    return 0;
  }
  const ProbeRunInfo* info = probe_info(rc);
  if (info == nullptr || info->args == nullptr || n >= info->arg_count) {
    std::memset(reinterpret_cast<void*>(value), 0, 8);
    return neg(-EINVAL);
  }
  std::memcpy(reinterpret_cast<void*>(value), &info->args[n], 8);
  return 0;
}

uint64_t get_func_ret(uint64_t, uint64_t value, uint64_t, uint64_t, uint64_t, RunContext* rc) {
  if (!check_memory(rc, value, 8, true, "bpf_get_func_ret: the result is outside the program's memory")) {
    return 0;
  }
  const ProbeRunInfo* info = probe_info(rc);
  if (info == nullptr || !info->has_return_value) {
    return neg(-EOPNOTSUPP);
  }
  std::memcpy(reinterpret_cast<void*>(value), &info->return_value, 8);
  return 0;
}

uint64_t get_func_arg_cnt(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, RunContext* rc) {
  const ProbeRunInfo* info = probe_info(rc);
  return info != nullptr ? info->arg_count : 0;
}

uint64_t override_return(uint64_t, uint64_t value, uint64_t, uint64_t, uint64_t, RunContext* rc) {
  ProbeRunInfo* info = probe_info(rc);
  if (info == nullptr) {
    return neg(-EOPNOTSUPP);
  }
  info->override_requested = true;
  info->override_value = value;
  return 0;
}

uint64_t set_retval(uint64_t value, uint64_t, uint64_t, uint64_t, uint64_t, RunContext* rc) {
  ProbeRunInfo* info = probe_info(rc);
  if (info == nullptr) {
    return neg(-EOPNOTSUPP);
  }
  info->retval = static_cast<int32_t>(value);
  return 0;
}

uint64_t get_retval(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, RunContext* rc) {
  const ProbeRunInfo* info = probe_info(rc);
  return info != nullptr ? static_cast<uint64_t>(static_cast<int64_t>(info->retval)) : 0;
}

uint64_t get_stack(uint64_t, uint64_t buf, uint64_t size, uint64_t flags, uint64_t, RunContext* rc) {
  if (!check_memory(rc, buf, size, true, "bpf_get_stack: the buffer is outside the program's memory")) {
    return 0;
  }
  auto* out = reinterpret_cast<uint8_t*>(buf);
  const bool build_id = (flags & kUserBuildId) != 0;
  const uint64_t frame = build_id ? sizeof(StackBuildId) : 8;
  if ((flags & ~(kSkipMask | kUserStack | kUserBuildId)) != 0 || (build_id && (flags & kUserStack) == 0) ||
      size % frame != 0) {
    std::memset(out, 0, size);
    return neg(-EINVAL);
  }
  if ((flags & kUserStack) == 0) {
    std::memset(out, 0, size);
    return neg(-EFAULT);  // no kernel stack in userspace
  }
  const auto ips =
      capture_user_stack(rc, static_cast<uint32_t>(flags & kSkipMask), static_cast<uint32_t>(size / frame));
  if (ips.empty()) {
    std::memset(out, 0, size);
    return neg(-EFAULT);
  }
  uint64_t copied = 0;
  if (build_id) {
    const auto ids = resolve_build_ids(ips);
    copied = ids.size() * sizeof(StackBuildId);
    std::memcpy(out, ids.data(), copied);
  } else {
    copied = ips.size() * 8;
    std::memcpy(out, ips.data(), copied);
  }
  std::memset(out + copied, 0, size - copied);
  return copied;
}

uint64_t get_stackid(uint64_t, uint64_t map, uint64_t flags, uint64_t, uint64_t, RunContext* rc) {
  Map* m = map_arg(rc, map, "bpf_get_stackid: the second argument is not a map");
  if (m == nullptr) {
    return 0;
  }
  if ((flags & ~(kSkipMask | kUserStack | kFastCmp | kReuseStackId)) != 0) {
    return neg(-EINVAL);
  }
  if ((flags & kUserStack) == 0) {
    return neg(-EFAULT);  // no kernel stack in userspace
  }
  const bool build_id = (m->spec().flags & kStackBuildIdFlag) != 0;
  const uint32_t frames = m->value_size() / (build_id ? sizeof(StackBuildId) : 8);
  const auto ips = capture_user_stack(rc, static_cast<uint32_t>(flags & kSkipMask), frames);
  if (!build_id) {
    return neg(stackmap::store(*m, ips, flags & ~kSkipMask));
  }
  const auto ids = resolve_build_ids(ips);
  std::vector<uint64_t> words(ids.size() * sizeof(StackBuildId) / 8);
  if (!words.empty()) {
    std::memcpy(words.data(), ids.data(), words.size() * 8);
  }
  return neg(stackmap::store(*m, words, flags & ~kSkipMask));
}

}  // namespace bpfrt::helpers
