#include "conformance/vector_runner.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "helpers/conformance_helpers.hpp"
#include "vm/verified_engine.hpp"

#ifndef BPFRT_SHARED_DIR
#define BPFRT_SHARED_DIR "../shared"
#endif

namespace bpfrt {
namespace {

const HelperTable& conformance_helpers() {
  static const HelperTable kTable = [] {
    HelperTable t;
    if (!add_conformance_helpers(t).ok()) {
      std::abort();  // ids are fixed and distinct: a failure here is a bug
    }
    return t;
  }();
  return kTable;
}

// Verified as a "raw" program over the vector's memory, then run.
Result<uint64_t> run_program(Program program, std::vector<uint8_t>& memory, EngineKind kind, bool verify,
                             uint64_t budget = 0) {
  LoadOptions options;
  options.verify = verify;
  options.verifier.type = ProgramType::kRaw;
  options.verifier.ctx_size = memory.size();
  options.engine.helpers = &conformance_helpers();
  options.engine.instruction_budget = budget;
  if (budget != 0) {
    options.verifier.limits.max_processed = std::min<uint64_t>(budget, options.verifier.limits.max_processed);
  }
  auto engine = load_engine(kind, std::move(program), std::move(options));
  if (!engine) {
    return engine.take_error();
  }
  return (*engine)->run(memory.empty() ? nullptr : memory.data(), memory.size());
}

}  // namespace

VectorOutcome run_vector(const TestVector& vector, EngineKind engine, uint64_t instruction_budget, bool verify) {
  auto program = vector.program();
  if (!program) {
    return {false, program.error().message};
  }
  std::vector<uint8_t> memory = vector.memory;
  auto r0 = run_program(std::move(*program), memory, engine, verify, instruction_budget);
  if (vector.error) {
    if (r0) {
      return {false, fmt::format("expected an error ({}) but the program returned 0x{:x}",
                                 vector.error->empty() ? "any" : *vector.error, *r0)};
    }
    return {true, {}};
  }
  if (!r0) {
    return {false, r0.error().message};
  }
  if (!vector.result) {
    return {false, "the vector has no -- result section"};
  }
  if (*r0 != *vector.result) {
    return {false, fmt::format("returned 0x{:x}, expected 0x{:x}", *r0, *vector.result)};
  }
  return {true, {}};
}

VectorOutcome run_vector_file(const std::string& path, EngineKind engine, bool verify) {
  auto vector = load_test_vector(path);
  if (!vector) {
    return {false, vector.error().message};
  }
  VectorOutcome outcome = run_vector(*vector, engine, 0, verify);
  if (!outcome.passed && !outcome.message.starts_with(path)) {
    outcome.message = fmt::format("{}: {}", path, outcome.message);
  }
  return outcome;
}

Result<uint64_t> run_bytecode(std::span<const uint8_t> bytecode, std::vector<uint8_t> memory, EngineKind engine,
                              bool verify) {
  auto program = Program::decode(bytecode);
  if (!program) {
    return program.take_error();
  }
  return run_program(std::move(*program), memory, engine, verify);
}

Result<std::vector<std::string>> list_vectors(const std::string& dir) {
  std::error_code ec;
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".data") {
      out.push_back(entry.path().string());
    }
  }
  if (ec) {
    return make_error(ErrorCode::kIo, fmt::format("{}: {}", dir, ec.message()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string default_conformance_dir() {
  if (const char* env = std::getenv("BPFRT_CONFORMANCE_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  return std::string(BPFRT_SHARED_DIR) + "/conformance/tests";
}

}  // namespace bpfrt
