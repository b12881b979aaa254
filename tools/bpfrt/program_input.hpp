// Reading a program named on the command line: a .data conformance vector, assembly text, or raw
// little-endian bytecode (told apart by extension, then by content).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bpfrt/isa.hpp"

#include "isa/test_vector.hpp"

namespace bpfrt::cli {

struct ProgramInput {
  Program program;
  std::optional<TestVector> vector;  // set for .data files
};

Result<std::vector<uint8_t>> read_file(const std::string& path);
Result<ProgramInput> load_program_input(const std::string& path);

}  // namespace bpfrt::cli
