// The bpf_conformance test-vector format (.data): a program as `-- asm` or `-- raw`, optional `-- mem`
// input bytes, and the expected `-- result` or `-- error`.
//
// Line numbers in errors are those of the .data file, including for assembly errors.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bpfrt/isa.hpp"

namespace bpfrt {

struct TestVector {
  std::string asm_text;  // the -- asm section, other lines blanked so line numbers match the file
  bool has_asm = false;
  std::vector<Instruction> raw;  // the -- raw section, if any; it replaces -- asm
  bool has_raw = false;
  std::vector<uint8_t> memory;
  std::optional<uint64_t> result;
  std::optional<std::string> error;

  // The program: -- raw if present, else the assembled -- asm; validated.
  Result<Program> program() const;
};

Result<TestVector> parse_test_vector(std::string_view text);
Result<TestVector> load_test_vector(const std::string& path);

// Parses whitespace-separated hex bytes ("0a 1b ff" or "0a1bff").
Result<std::vector<uint8_t>> parse_hex_bytes(std::string_view text);

}  // namespace bpfrt
