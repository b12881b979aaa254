#include "isa/test_vector.hpp"

#include <array>
#include <bit>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace bpfrt {
namespace {

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    return {};
  }
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while ((pos = s.find_first_not_of(" \t\r\n", pos)) != std::string_view::npos) {
    const size_t end = std::min(s.find_first_of(" \t\r\n", pos), s.size());
    out.push_back(s.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

std::optional<uint64_t> parse_hex(std::string_view token, size_t max_digits) {
  if (token.starts_with("0x") || token.starts_with("0X")) {
    token.remove_prefix(2);
  }
  if (token.empty() || token.size() > max_digits) {
    return std::nullopt;
  }
  uint64_t value = 0;
  for (char c : token) {
    int digit = 0;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      digit = c - 'A' + 10;
    } else {
      return std::nullopt;
    }
    value = value << 4 | static_cast<uint64_t>(digit);
  }
  return value;
}

enum class Section { kNone, kAsm, kRaw, kMem, kResult, kError, kIgnored };

Result<Section> section_from_header(std::string_view name, size_t line) {
  if (name == "asm") return Section::kAsm;
  if (name == "raw") return Section::kRaw;
  if (name == "mem") return Section::kMem;
  if (name == "result") return Section::kResult;
  if (name == "error") return Section::kError;
  if (name == "c" || name == "no register offset") return Section::kIgnored;
  return make_error(ErrorCode::kInvalidArgument, fmt::format("line {}: unknown section '-- {}'", line, name));
}

Status parse_raw_line(std::string_view text, size_t line, std::vector<Instruction>& out) {
  const auto tokens = words(text);
  Instruction insn{};
  if (tokens.size() == 1) {  // one 64-bit little-endian word: 0x5566778800000018
    auto word = parse_hex(tokens[0], 16);
    if (!word) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("line {}: invalid instruction word '{}'", line, tokens[0]));
    }
    insn = std::bit_cast<Instruction>(*word);
  } else if (tokens.size() == 8) {  // eight bytes in memory order: 07 00 01 00 01 00 00 00
    std::array<uint8_t, 8> bytes{};
    for (size_t i = 0; i < 8; ++i) {
      auto b = parse_hex(tokens[i], 2);
      if (!b) {
        return make_error(ErrorCode::kInvalidArgument, fmt::format("line {}: invalid byte '{}'", line, tokens[i]));
      }
      bytes[i] = static_cast<uint8_t>(*b);
    }
    insn = std::bit_cast<Instruction>(bytes);
  } else {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("line {}: a raw instruction is one 64-bit hex word or 8 hex bytes", line));
  }
  out.push_back(insn);
  return {};
}

}  // namespace

Result<std::vector<uint8_t>> parse_hex_bytes(std::string_view text) {
  std::vector<uint8_t> out;
  for (std::string_view token : words(text)) {
    if (token.size() % 2 != 0) {
      return make_error(ErrorCode::kInvalidArgument, fmt::format("invalid hex bytes '{}'", token));
    }
    for (size_t i = 0; i < token.size(); i += 2) {
      auto b = parse_hex(token.substr(i, 2), 2);
      if (!b) {
        return make_error(ErrorCode::kInvalidArgument, fmt::format("invalid hex bytes '{}'", token));
      }
      out.push_back(static_cast<uint8_t>(*b));
    }
  }
  return out;
}

Result<TestVector> parse_test_vector(std::string_view text) {
  TestVector vec;
  Section section = Section::kNone;
  std::string result_text;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t eol = std::min(text.find('\n', pos), text.size());
    std::string_view raw_line = text.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    if (raw_line.starts_with("-- ") || trim(raw_line) == "--") {
      auto next = section_from_header(trim(raw_line.substr(2)), line_no);
      if (!next) {
        return next.take_error();
      }
      section = *next;
      vec.has_asm |= section == Section::kAsm;
      vec.has_raw |= section == Section::kRaw;
      if (section == Section::kError && !vec.error) {
        vec.error = std::string();
      }
      vec.asm_text += '\n';
      continue;
    }
    if (section == Section::kAsm) {
      vec.asm_text += raw_line;
      vec.asm_text += '\n';
      continue;
    }
    vec.asm_text += '\n';
    std::string_view content = raw_line;
    if (section != Section::kIgnored && section != Section::kError) {
      content = content.substr(0, content.find('#'));
    }
    content = trim(content);
    if (content.empty() && section != Section::kError) {
      continue;
    }
    switch (section) {
      case Section::kNone:
        if (!trim(raw_line).starts_with('#')) {
          return make_error(ErrorCode::kInvalidArgument, fmt::format("line {}: text outside any section", line_no));
        }
        break;
      case Section::kRaw:
        BPFRT_TRY(parse_raw_line(content, line_no, vec.raw));
        break;
      case Section::kMem: {
        auto bytes = parse_hex_bytes(content);
        if (!bytes) {
          return make_error(ErrorCode::kInvalidArgument, fmt::format("line {}: {}", line_no, bytes.error().message));
        }
        vec.memory.insert(vec.memory.end(), bytes->begin(), bytes->end());
        break;
      }
      case Section::kResult:
        if (!result_text.empty()) {
          return make_error(ErrorCode::kInvalidArgument, fmt::format("line {}: more than one result", line_no));
        }
        result_text = std::string(content);
        break;
      case Section::kError:
        if (!content.empty()) {
          *vec.error += (vec.error->empty() ? "" : "\n") + std::string(content);
        }
        break;
      case Section::kAsm:
      case Section::kIgnored:
        break;
    }
  }
  if (!result_text.empty()) {
    const bool hex = result_text.find("0x") != std::string::npos || result_text.find("0X") != std::string::npos;
    std::optional<uint64_t> value;
    if (hex) {
      value = parse_hex(result_text, 16);
    } else {
      uint64_t v = 0;
      std::istringstream in(result_text);
      if (in >> v && in.eof()) {
        value = v;
      }
    }
    if (!value) {
      return make_error(ErrorCode::kInvalidArgument, fmt::format("invalid result '{}'", result_text));
    }
    vec.result = value;
  }
  return vec;
}

Result<Program> TestVector::program() const {
  if (has_raw) {
    return Program::from_instructions(raw);
  }
  if (!has_asm) {
    return make_error(ErrorCode::kInvalidArgument, "no program: the file has no -- asm or -- raw section");
  }
  return assemble_program(asm_text);
}

Result<TestVector> load_test_vector(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return make_error(ErrorCode::kIo, fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto vec = parse_test_vector(text.str());
  if (!vec) {
    Error e = vec.take_error();
    e.message = fmt::format("{}: {}", path, e.message);
    return e;
  }
  return vec;
}

}  // namespace bpfrt
