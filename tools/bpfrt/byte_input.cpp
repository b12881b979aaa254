#include "byte_input.hpp"

#include <fmt/format.h>

namespace bpfrt::cli {
namespace {

constexpr std::string_view kSpace = " \t\r\n";

int hex_digit(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// Why `token` is not bytes, or "" if it is (then its bytes are appended to `out`).
std::string_view read_token(std::string_view token, std::vector<uint8_t>& out) {
  const bool prefixed = token.starts_with("0x") || token.starts_with("0X");
  const std::string_view digits = prefixed ? token.substr(2) : token;
  for (char c : digits) {
    if (hex_digit(c) < 0) {
      return "is not hexadecimal";
    }
  }
  if (digits.empty()) {
    return "has no digits after 0x";
  }
  if (digits.size() <= 2) {  // one byte: "f", "0f", "0xf", "0x0f"
    const int value = digits.size() == 1 ? hex_digit(digits[0]) : hex_digit(digits[0]) << 4 | hex_digit(digits[1]);
    out.push_back(static_cast<uint8_t>(value));
    return {};
  }
  if (prefixed) {  // "0x0100" could mean the bytes 01 00 or the number 0x100 in either byte order
    return "is more than one byte after 0x";
  }
  if (digits.size() % 2 != 0) {
    return "has an odd number of hex digits";
  }
  for (size_t i = 0; i < digits.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(hex_digit(digits[i]) << 4 | hex_digit(digits[i + 1])));
  }
  return {};
}

}  // namespace

Result<std::vector<uint8_t>> parse_byte_input(std::string_view text, std::string_view what) {
  std::vector<uint8_t> out;
  size_t number = 0;
  size_t pos = 0;
  while ((pos = text.find_first_not_of(kSpace, pos)) != std::string_view::npos) {
    const size_t end = std::min(text.find_first_of(kSpace, pos), text.size());
    const std::string_view token = text.substr(pos, end - pos);
    ++number;
    if (const std::string_view why = read_token(token, out); !why.empty()) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("{}: invalid hex bytes: token {} '{}' {}; write bytes as '01000000', '1 0 0 0' "
                                    "or '0x01 0x00 0x00 0x00'",
                                    what, number, token, why));
    }
    pos = end;
  }
  return out;
}

}  // namespace bpfrt::cli
