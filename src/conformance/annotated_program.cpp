#include "conformance/annotated_program.hpp"

#include "bpfrt/kernel_names.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>

#include <fmt/format.h>
#include <linux/bpf.h>

namespace bpfrt {
namespace {


Error line_error(size_t line, const std::string& what) {
  return make_error(ErrorCode::kInvalidArgument, fmt::format("line {}: {}", line, what));
}

std::optional<uint64_t> parse_number(std::string_view s) {
  int base = 10;
  if (s.starts_with("0x") || s.starts_with("0X")) {
    s.remove_prefix(2);
    base = 16;
  }
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) {
    return std::nullopt;
  }
  return v;
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep || (sep == ' ' && c == '\t')) {
      if (!cur.empty()) {
        out.push_back(cur);
      }
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) {
    out.push_back(cur);
  }
  return out;
}

// "TYPE KEY VALUE MAX" fields starting at `first`.
Result<MapInfo> parse_map_shape(const std::vector<std::string>& f, size_t first, size_t line) {
  if (f.size() < first + 4) {
    return line_error(line, "a map needs TYPE KEY_SIZE VALUE_SIZE MAX_ENTRIES");
  }
  MapInfo info;
  auto type = parse_kernel_map_type(f[first]);
  if (!type) {
    return line_error(line, type.error().message);
  }
  info.type = *type;
  const auto key = parse_number(f[first + 1]);
  const auto value = parse_number(f[first + 2]);
  const auto max = parse_number(f[first + 3]);
  if (!key || !value || !max || *key > UINT32_MAX || *value > UINT32_MAX || *max > UINT32_MAX) {
    return line_error(line, "map sizes must be unsigned 32-bit numbers");
  }
  info.key_size = static_cast<uint32_t>(*key);
  info.value_size = static_cast<uint32_t>(*value);
  info.max_entries = static_cast<uint32_t>(*max);
  return info;
}

Result<AnnotatedMap> parse_map_line(std::string_view rest, size_t line) {
  const std::vector<std::string> f = split(rest, ' ');
  if (f.empty()) {
    return line_error(line, "# map: needs FD TYPE KEY_SIZE VALUE_SIZE MAX_ENTRIES");
  }
  const auto fd = parse_number(f[0]);
  if (!fd || *fd > INT32_MAX) {
    return line_error(line, fmt::format("bad map fd '{}'", f[0]));
  }
  auto info = parse_map_shape(f, 1, line);
  if (!info) {
    return info.take_error();
  }
  AnnotatedMap map{static_cast<int32_t>(*fd), std::move(*info)};
  map.info.name = fmt::format("map{}", map.fd);
  for (size_t i = 5; i < f.size(); ++i) {
    const auto eq = f[i].find('=');
    if (eq == std::string::npos) {
      return line_error(line, fmt::format("expected key=value, got '{}'", f[i]));
    }
    const std::string key = f[i].substr(0, eq);
    const std::string value = f[i].substr(eq + 1);
    if (key == "name") {
      map.info.name = value;
    } else if (key == "flags" || key == "spin_lock") {
      const auto n = parse_number(value);
      if (!n || *n > INT32_MAX) {
        return line_error(line, fmt::format("bad {} '{}'", key, value));
      }
      if (key == "flags") {
        map.info.flags = static_cast<uint32_t>(*n);
      } else {
        map.info.spin_lock_offset = static_cast<int32_t>(*n);
      }
    } else if (key == "inner") {
      auto inner = parse_map_shape(split(value, '/'), 0, line);
      if (!inner) {
        return inner.take_error();
      }
      map.info.inner = std::make_shared<MapInfo>(std::move(*inner));
    } else {
      return line_error(line, fmt::format("unknown map attribute '{}'", key));
    }
  }
  return map;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

Result<AnnotatedMap> parse_map_declaration(std::string_view text) {
  auto map = parse_map_line(text, 1);
  if (!map) {
    Error e = map.take_error();
    e.message = e.message.substr(e.message.find(": ") + 2);  // no line number for a single declaration
    return e;
  }
  return map;
}

MapResolver AnnotatedProgram::map_resolver() const {
  return [maps = maps](LddwSrc source, int32_t ref) -> Result<MapInfo> {
    const bool by_index = source == LddwSrc::kMapIdx || source == LddwSrc::kMapIdxValue;
    if (by_index) {
      if (ref < 0 || static_cast<size_t>(ref) >= maps.size()) {
        return make_error(ErrorCode::kNotFound, fmt::format("no map at index {} ({} declared)", ref, maps.size()));
      }
      return maps[static_cast<size_t>(ref)].info;
    }
    for (const AnnotatedMap& m : maps) {
      if (m.fd == ref) {
        return m.info;
      }
    }
    return make_error(ErrorCode::kNotFound, fmt::format("no map with fd {} is declared", ref));
  };
}

Result<AnnotatedProgram> parse_annotated_program(std::string_view text) {
  AnnotatedProgram out;
  size_t line_no = 0;
  std::istringstream in{std::string(text)};
  for (std::string raw; std::getline(in, raw);) {
    ++line_no;
    std::string_view line = trim(raw);
    if (!line.starts_with("#")) {
      continue;
    }
    line = trim(line.substr(1));
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) {
      continue;  // an ordinary comment
    }
    const std::string_view key = trim(line.substr(0, colon));
    const std::string_view rest = trim(line.substr(colon + 1));
    if (key == "type") {
      auto type = parse_program_type(rest);
      if (!type) {
        return line_error(line_no, type.error().message);
      }
      out.type = *type;
    } else if (key == "expect") {
      out.has_expectation = true;
      if (rest == "accept") {
        out.expect_accept = true;
      } else if (rest.starts_with("reject")) {
        out.expect_accept = false;
        out.expect_reason = std::string(trim(rest.substr(6)));
      } else {
        return line_error(line_no, "# expect: must be 'accept' or 'reject <reason>'");
      }
    } else if (key == "map") {
      auto map = parse_map_line(rest, line_no);
      if (!map) {
        return map.take_error();
      }
      out.maps.push_back(std::move(*map));
    } else if (key == "ctx") {
      const auto n = parse_number(rest);
      if (!n || *n > (1u << 20)) {
        return line_error(line_no, "# ctx: needs a size in bytes (at most 1 MiB)");
      }
      out.ctx_size = static_cast<size_t>(*n);
    } else if (key == "kernel") {
      if (rest.starts_with("skip")) {
        out.kernel_skip = std::string(trim(rest.substr(4)));
      } else if (rest.starts_with("differs")) {
        out.kernel_differs = std::string(trim(rest.substr(7)));
      } else {
        return line_error(line_no, "# kernel: must be 'skip <why>' or 'differs <why>'");
      }
    }
  }
  auto insns = assemble(text);
  if (!insns) {
    return insns.take_error();
  }
  out.insns = std::move(*insns);
  auto program = Program::from_instructions(out.insns);
  if (program) {
    out.program = std::move(*program);
  } else {
    out.decode_error = program.take_error();
  }
  return out;
}

Result<AnnotatedProgram> load_annotated_program(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return make_error(ErrorCode::kIo, fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  }
  const std::string text(std::istreambuf_iterator<char>(in), {});
  auto parsed = parse_annotated_program(text);
  if (!parsed) {
    Error e = parsed.take_error();
    e.message = fmt::format("{}: {}", path, e.message);
    return e;
  }
  return parsed;
}

}  // namespace bpfrt
