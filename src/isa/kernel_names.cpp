#include "bpfrt/kernel_names.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <bpf/libbpf.h>
#include <fmt/format.h>

namespace bpfrt {

std::string prog_type_name(ProgType type) {
  if (type == kProgTypeRaw) {
    return "raw";
  }
  const char* s = libbpf_bpf_prog_type_str(static_cast<enum bpf_prog_type>(type));
  return s != nullptr ? s : fmt::format("prog_type_{}", type);
}

std::string attach_type_name(AttachType type) {
  const char* s = libbpf_bpf_attach_type_str(static_cast<enum bpf_attach_type>(type));
  return s != nullptr ? s : fmt::format("attach_type_{}", type);
}

std::string map_type_name(uint32_t type) {
  const char* s = libbpf_bpf_map_type_str(static_cast<enum bpf_map_type>(type));
  return s != nullptr ? s : fmt::format("map_type_{}", type);
}

Result<ProgType> parse_prog_type(std::string_view name) {
  std::string n(name);
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (n.starts_with("bpf_prog_type_")) {
    n = n.substr(14);
  }
  if (n == "raw") {
    return kProgTypeRaw;
  }
  // libbpf names every type it knows; unknown numbers come back as nullptr.
  for (uint32_t t = 1; t < 256; ++t) {
    const char* s = libbpf_bpf_prog_type_str(static_cast<enum bpf_prog_type>(t));
    if (s != nullptr && n == s) {
      return t;
    }
  }
  return make_error(ErrorCode::kInvalidArgument, fmt::format("unknown program type '{}'", name));
}

Result<uint32_t> parse_kernel_map_type(std::string_view name) {
  std::string n(name);
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (n.starts_with("bpf_map_type_")) {
    n = n.substr(13);
  }
  for (uint32_t t = 1; t < 256; ++t) {
    const char* s = libbpf_bpf_map_type_str(static_cast<enum bpf_map_type>(t));
    if (s != nullptr && n == s) {
      return t;
    }
  }
  uint32_t number = 0;
  const auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), number);
  if (ec == std::errc{} && end == n.data() + n.size() && !n.empty()) {
    return number;
  }
  return make_error(ErrorCode::kInvalidArgument, fmt::format("unknown map type '{}'", name));
}

}  // namespace bpfrt
