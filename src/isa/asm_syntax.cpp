#include "isa/asm_syntax.hpp"

#include <array>
#include <charconv>

#include <fmt/format.h>

namespace bpfrt::asm_syntax {
namespace {

constexpr std::array<std::string_view, 7> kLddwKeywords = {
    "", "map_fd", "map_value", "btf_id", "func", "map_idx", "map_idx_value",
};

}  // namespace

std::optional<int> parse_register(std::string_view token) {
  if (token.starts_with('%')) {
    token.remove_prefix(1);
  }
  if (token.size() < 2 || (token[0] != 'r' && token[0] != 'R')) {
    return std::nullopt;
  }
  token.remove_prefix(1);
  int value = 0;
  auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (ec != std::errc{} || ptr != token.data() + token.size() || value < 0) {
    return std::nullopt;
  }
  return value;
}

std::optional<ParsedInt> parse_int(std::string_view token) {
  ParsedInt out;
  if (token.starts_with('+')) {
    token.remove_prefix(1);
  } else if (token.starts_with('-')) {
    out.negative = true;
    token.remove_prefix(1);
  }
  int base = 10;
  if (token.starts_with("0x") || token.starts_with("0X")) {
    base = 16;
    out.hex = true;
    token.remove_prefix(2);
  }
  if (token.empty()) {
    return std::nullopt;
  }
  auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), out.magnitude, base);
  if (ec != std::errc{} || ptr != token.data() + token.size()) {
    return std::nullopt;
  }
  return out;
}

std::string_view lddw_keyword(LddwSrc src) {
  return kLddwKeywords[static_cast<size_t>(src)];
}

std::optional<LddwSrc> lddw_src_from_keyword(std::string_view keyword) {
  for (size_t i = 1; i < kLddwKeywords.size(); ++i) {
    if (kLddwKeywords[i] == keyword) {
      return static_cast<LddwSrc>(i);
    }
  }
  return std::nullopt;
}

std::string format_register(int reg) {
  return fmt::format("%r{}", reg);
}

std::string format_offset(int64_t offset) {
  return offset < 0 ? fmt::format("{}", offset) : fmt::format("+{}", offset);
}

}  // namespace bpfrt::asm_syntax
