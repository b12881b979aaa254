// Runs bpf_conformance vectors through an engine and judges the outcome against the expected result.
// Shared by `bpfrt conformance`, the conformance plug-in mode and the ctest suites.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bpfrt/engine.hpp"

#include "isa/test_vector.hpp"

namespace bpfrt {

struct VectorOutcome {
  bool passed = false;
  std::string message;  // why it failed, or empty
};

// Runs an already-parsed vector with the conformance helpers; `memory` starts as the vector's -- mem.
// The program is verified first as a "raw" program over that memory, unless `verify` is false; a
// refusal counts as an error (which passes only vectors that expect one).
// A non-zero `instruction_budget` bounds each run, and the verification too (the fuzzers use it).
VectorOutcome run_vector(const TestVector& vector, EngineKind engine, uint64_t instruction_budget = 0,
                         bool verify = true);

// Parses and runs a .data file; parse and assembly errors are failures naming the file and line.
VectorOutcome run_vector_file(const std::string& path, EngineKind engine, bool verify = true);

// Verifies (unless `verify` is false) and runs raw bytecode over `memory` the way the upstream runner's
// plug-ins do; returns r0.
Result<uint64_t> run_bytecode(std::span<const uint8_t> bytecode, std::vector<uint8_t> memory, EngineKind engine,
                              bool verify = true);

// Every *.data file under `dir`, sorted by name.
Result<std::vector<std::string>> list_vectors(const std::string& dir);

// The conformance suite shipped beside the project (../shared/conformance), or $BPFRT_CONFORMANCE_DIR.
std::string default_conformance_dir();

}  // namespace bpfrt
