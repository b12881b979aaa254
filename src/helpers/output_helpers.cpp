// Output helpers: trace_printk (to the host's trace pipe), snprintf, strncmp, perf event output and
// the ring buffer.
#include <cerrno>
#include <cstring>
#include <string>

#include "helpers/bprintf.hpp"
#include "helpers/helper_impls.hpp"
#include "helpers/helper_util.hpp"

namespace bpfrt::helpers {
namespace {

constexpr size_t kTracePrintkSize = 1024;  // BPF_TRACE_PRINTK_SIZE
constexpr size_t kMaxVarargs = 12;         // MAX_BPRINTF_VARARGS
constexpr uint64_t kMaxConstString = 4096;

uint64_t neg(long err) {
  return static_cast<uint64_t>(static_cast<int64_t>(err));
}

// Length of the NUL-terminated string at p (including the NUL) if it lies in program memory.
long const_string_len(RunContext* rc, uint64_t p) {
  for (uint64_t n = 0; n < kMaxConstString; ++n) {
    if (!rc->accessible(p + n, 1, false)) {
      return -1;
    }
    if (*reinterpret_cast<const char*>(p + n) == '\0') {
      return static_cast<long>(n + 1);
    }
  }
  return -1;
}

uint64_t emit_trace(RunContext* rc, std::string& line) {
  if (line.size() >= kTracePrintkSize) {
    line.resize(kTracePrintkSize - 1);
  }
  const size_t n = line.size();
  while (!line.empty() && line.back() == '\n') {
    line.pop_back();
  }
  if (HelperHost* host = host_of(rc); host != nullptr) {
    host->trace(line);
  }
  return n;
}

}  // namespace

uint64_t trace_printk(uint64_t fmt, uint64_t fmt_size, uint64_t a1, uint64_t a2, uint64_t a3, RunContext* rc) {
  if (!check_memory(rc, fmt, fmt_size, false, "bpf_trace_printk: the format is outside the program's memory")) {
    return 0;
  }
  const auto* f = reinterpret_cast<const char*>(fmt);
  if (fmt_size == 0 || f[fmt_size - 1] != '\0') {
    return neg(-EINVAL);
  }
  const uint64_t args[3] = {a1, a2, a3};
  std::string line;
  if (const int rc2 = bpf_bprintf(line, f, fmt_size, args, 3); rc2 != 0) {
    return neg(rc2);
  }
  return emit_trace(rc, line);
}

uint64_t trace_vprintk(uint64_t fmt, uint64_t fmt_size, uint64_t data, uint64_t data_len, uint64_t, RunContext* rc) {
  if (!check_memory(rc, fmt, fmt_size, false, "bpf_trace_vprintk: the format is outside the program's memory") ||
      !check_memory(rc, data, data_len, false, "bpf_trace_vprintk: the arguments are outside the program's memory")) {
    return 0;
  }
  const auto* f = reinterpret_cast<const char*>(fmt);
  if (fmt_size == 0 || f[fmt_size - 1] != '\0' || data_len % 8 != 0 || data_len > kMaxVarargs * 8 ||
      (data_len != 0 && data == 0)) {
    return neg(-EINVAL);
  }
  uint64_t args[kMaxVarargs] = {};
  std::memcpy(args, reinterpret_cast<const void*>(data), data_len);
  std::string line;
  if (const int rc2 = bpf_bprintf(line, f, fmt_size, args, data_len / 8); rc2 != 0) {
    return neg(rc2);
  }
  return emit_trace(rc, line);
}

uint64_t snprintf(uint64_t str, uint64_t str_size, uint64_t fmt, uint64_t data, uint64_t data_len, RunContext* rc) {
  if (!check_memory(rc, str, str_size, true, "bpf_snprintf: the output is outside the program's memory") ||
      !check_memory(rc, data, data_len, false, "bpf_snprintf: the arguments are outside the program's memory")) {
    return 0;
  }
  const long fmt_len = const_string_len(rc, fmt);
  if (fmt_len < 0) {
    rc->fail("bpf_snprintf: the format is not a NUL-terminated string in the program's memory");
    return 0;
  }
  if (data_len % 8 != 0 || data_len > kMaxVarargs * 8 || (data_len != 0 && data == 0)) {
    return neg(-EINVAL);
  }
  uint64_t args[kMaxVarargs] = {};
  std::memcpy(args, reinterpret_cast<const void*>(data), data_len);
  std::string out;
  if (const int err =
          bpf_bprintf(out, reinterpret_cast<const char*>(fmt), static_cast<size_t>(fmt_len), args, data_len / 8);
      err != 0) {
    return neg(err);
  }
  if (str_size > 0) {
    const size_t n = std::min<size_t>(out.size(), str_size - 1);
    std::memcpy(reinterpret_cast<void*>(str), out.data(), n);
    reinterpret_cast<char*>(str)[n] = '\0';
  }
  return out.size() + 1;
}

uint64_t strncmp(uint64_t s1, uint64_t s1_size, uint64_t s2, uint64_t, uint64_t, RunContext* rc) {
  if (!check_memory(rc, s1, s1_size, false, "bpf_strncmp: the first string is outside the program's memory")) {
    return 0;
  }
  const auto* a = reinterpret_cast<const unsigned char*>(s1);
  for (uint64_t i = 0; i < s1_size; ++i) {
    if (!rc->accessible(s2 + i, 1, false)) {
      rc->fail("bpf_strncmp: the second string is outside the program's memory");
      return 0;
    }
    const unsigned char b = *reinterpret_cast<const unsigned char*>(s2 + i);
    if (a[i] != b) {
      return a[i] < b ? neg(-1) : 1;
    }
    if (a[i] == '\0') {
      break;
    }
  }
  return 0;
}

uint64_t perf_event_output(uint64_t, uint64_t map, uint64_t flags, uint64_t data, uint64_t size, RunContext* rc) {
  Map* m = map_arg(rc, map, "bpf_perf_event_output: the second argument is not a map");
  if (m == nullptr ||
      !check_memory(rc, data, size, false, "bpf_perf_event_output: the data is outside the program's memory")) {
    return 0;
  }
  return neg(perfbuf::output(*m, flags, reinterpret_cast<const void*>(data), size));
}

uint64_t ringbuf_output(uint64_t map, uint64_t data, uint64_t size, uint64_t flags, uint64_t, RunContext* rc) {
  Map* m = map_arg(rc, map, "bpf_ringbuf_output: the first argument is not a map");
  if (m == nullptr ||
      !check_memory(rc, data, size, false, "bpf_ringbuf_output: the data is outside the program's memory")) {
    return 0;
  }
  return neg(ringbuf::output(*m, reinterpret_cast<const void*>(data), size, flags));
}

uint64_t ringbuf_reserve(uint64_t map, uint64_t size, uint64_t flags, uint64_t, uint64_t, RunContext* rc) {
  Map* m = map_arg(rc, map, "bpf_ringbuf_reserve: the first argument is not a map");
  if (m == nullptr) {
    return 0;
  }
  void* rec = ringbuf::reserve(*m, size, flags);
  if (rec != nullptr) {
    holdings(rc).reservations.push_back(rec);
  }
  return reinterpret_cast<uint64_t>(rec);
}

namespace {

uint64_t commit(uint64_t data, uint64_t flags, RunContext* rc, bool discard, const char* not_ours) {
  auto& reservations = holdings(rc).reservations;
  for (auto it = reservations.begin(); it != reservations.end(); ++it) {
    if (reinterpret_cast<uint64_t>(*it) == data) {
      reservations.erase(it);
      ringbuf::commit(reinterpret_cast<void*>(data), flags, discard);
      return 0;
    }
  }
  rc->fail(not_ours);
  return 0;
}

}  // namespace

uint64_t ringbuf_submit(uint64_t data, uint64_t flags, uint64_t, uint64_t, uint64_t, RunContext* rc) {
  return commit(data, flags, rc, false, "bpf_ringbuf_submit: not a reservation this program holds");
}

uint64_t ringbuf_discard(uint64_t data, uint64_t flags, uint64_t, uint64_t, uint64_t, RunContext* rc) {
  return commit(data, flags, rc, true, "bpf_ringbuf_discard: not a reservation this program holds");
}

uint64_t ringbuf_query(uint64_t map, uint64_t flags, uint64_t, uint64_t, uint64_t, RunContext* rc) {
  Map* m = map_arg(rc, map, "bpf_ringbuf_query: the first argument is not a map");
  return m == nullptr ? 0 : ringbuf::query(*m, flags);
}

}  // namespace bpfrt::helpers
