#include "program_input.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

namespace bpfrt::cli {
namespace {

bool looks_like_text(const std::vector<uint8_t>& bytes) {
  return std::all_of(bytes.begin(), bytes.end(),
                     [](uint8_t c) { return c == '\n' || c == '\r' || c == '\t' || (c >= 0x20 && c < 0x7f); });
}

Error in_file(const std::string& path, Error error) {
  error.message = fmt::format("{}: {}", path, error.message);
  return error;
}

}  // namespace

Result<std::vector<uint8_t>> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return make_error(ErrorCode::kIo, fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  }
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

Result<ProgramInput> load_program_input(const std::string& path) {
  if (path.ends_with(".data")) {
    auto vector = load_test_vector(path);
    if (!vector) {
      return vector.take_error();
    }
    auto program = vector->program();
    if (!program) {
      return in_file(path, program.take_error());
    }
    return ProgramInput{std::move(*program), std::move(*vector)};
  }
  auto bytes = read_file(path);
  if (!bytes) {
    return bytes.take_error();
  }
  if (bytes->empty()) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("{}: file is empty", path));
  }
  if (bytes->size() >= 4 && std::memcmp(bytes->data(),
                                        "\x7f"
                                        "ELF",
                                        4) == 0) {
    return make_error(ErrorCode::kUnsupported,
                      fmt::format("{}: is an ELF object; `bpfrt run` takes bytecode, assembly or .data here", path));
  }
  const bool text = path.ends_with(".s") || path.ends_with(".asm") ||
                    (!path.ends_with(".bin") && !path.ends_with(".bpf") && looks_like_text(*bytes));
  auto program = text ? assemble_program(std::string(bytes->begin(), bytes->end())) : Program::decode(*bytes);
  if (!program) {
    return in_file(path, program.take_error());
  }
  return ProgramInput{std::move(*program), std::nullopt};
}

}  // namespace bpfrt::cli
