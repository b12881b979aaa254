#include "helpers/bprintf.hpp"

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "helpers/safe_memory.hpp"

namespace bpfrt::helpers {
namespace {

constexpr size_t kMaxString = 512;

bool is_flag(char c) {
  return c == '0' || c == '+' || c == '-' || c == ' ' || c == '#';
}

// Appends std::snprintf(spec, value) to out. `spec` is built here from a parsed conversion (flags,
// width, precision, length and a conversion matching T), never taken from the program as is.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
template <class T>
void append(std::string& out, const std::string& spec, T value) {
  char buf[512];
  const int n = std::snprintf(buf, sizeof(buf), spec.c_str(), value);
  if (n > 0) {
    out.append(buf, std::min<size_t>(static_cast<size_t>(n), sizeof(buf) - 1));
  }
}
#pragma GCC diagnostic pop

std::string read_string(uint64_t addr) {
  char buf[kMaxString];
  const long n = safe_read_str(buf, addr, sizeof(buf));
  return n > 0 ? std::string(buf, static_cast<size_t>(n) - 1) : std::string();
}

std::string format_ip(uint64_t addr, bool v6, bool compact) {
  uint8_t b[16];
  if (!safe_read(b, addr, v6 ? 16 : 4)) {
    return "";
  }
  char buf[64];
  if (!v6) {
    std::snprintf(buf, sizeof(buf), compact ? "%u.%u.%u.%u" : "%03u.%03u.%03u.%03u", b[0], b[1], b[2], b[3]);
    return buf;
  }
  std::string s;
  for (int i = 0; i < 16; i += 2) {
    std::snprintf(buf, sizeof(buf), compact ? "%02x%02x" : "%02x%02x", b[i], b[i + 1]);
    s += buf;
    if (i < 14 && compact) {
      s += ':';
    }
  }
  return s;
}

}  // namespace

int bpf_bprintf(std::string& out, const char* fmt, size_t fmt_len, const uint64_t* args, size_t nargs) {
  size_t used = 0;
  for (size_t i = 0; i < fmt_len && fmt[i] != '\0'; ++i) {
    if (fmt[i] != '%') {
      out += fmt[i];
      continue;
    }
    if (i + 1 < fmt_len && fmt[i + 1] == '%') {
      out += '%';
      ++i;
      continue;
    }
    std::string spec = "%";
    ++i;
    while (i < fmt_len && is_flag(fmt[i])) {
      spec += fmt[i++];
    }
    while (i < fmt_len && fmt[i] >= '0' && fmt[i] <= '9') {
      spec += fmt[i++];
    }
    if (i < fmt_len && fmt[i] == '.') {
      spec += fmt[i++];
      while (i < fmt_len && fmt[i] >= '0' && fmt[i] <= '9') {
        spec += fmt[i++];
      }
    }
    if (i >= fmt_len || fmt[i] == '\0' || used >= nargs) {
      return -EINVAL;
    }
    const uint64_t arg = args[used++];
    const char c = fmt[i];
    if (c == 'p') {
      const char m = i + 1 < fmt_len ? fmt[i + 1] : '\0';
      const char m2 = i + 2 < fmt_len ? fmt[i + 2] : '\0';
      if ((m == 'k' || m == 'u') && m2 == 's') {
        append(out, spec + "s", read_string(arg).c_str());
        i += 2;
      } else if ((m == 'I' || m == 'i') && (m2 == '4' || m2 == '6')) {
        append(out, spec + "s", format_ip(arg, m2 == '6', m == 'I').c_str());
        i += 2;
      } else {
        if (m == 'K' || m == 'x') {
          ++i;
        }
        append(out, spec + "s",
               ("0x" +
                [&] {
                  char b[32];
                  std::snprintf(b, sizeof(b), "%" PRIx64, arg);
                  return std::string(b);
                }())
                   .c_str());
      }
      continue;
    }
    if (c == 'c') {
      append(out, spec + "c", static_cast<int>(static_cast<unsigned char>(arg)));
      continue;
    }
    if (c == 's') {
      append(out, spec + "s", read_string(arg).c_str());
      continue;
    }
    int longs = 0;
    while (i < fmt_len && fmt[i] == 'l' && longs < 2) {
      ++longs;
      ++i;
    }
    if (i >= fmt_len) {
      return -EINVAL;
    }
    const char conv = fmt[i];
    if (conv != 'd' && conv != 'i' && conv != 'u' && conv != 'x' && conv != 'X') {
      return -EINVAL;
    }
    if (longs == 0) {
      // 32-bit argument.
      if (conv == 'd' || conv == 'i') {
        append(out, spec + conv, static_cast<int32_t>(arg));
      } else {
        append(out, spec + conv, static_cast<uint32_t>(arg));
      }
    } else if (conv == 'd' || conv == 'i') {
      append(out, spec + "ll" + conv, static_cast<long long>(arg));
    } else {
      append(out, spec + "ll" + conv, static_cast<unsigned long long>(arg));
    }
  }
  return 0;
}

}  // namespace bpfrt::helpers
