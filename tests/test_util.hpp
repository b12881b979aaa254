// Helpers shared by the unit tests: assemble-and-run, and the location of the shared suite.
#pragma once

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "bpfrt/engine.hpp"
#include "bpfrt/isa.hpp"

namespace bpfrt::test {

inline std::string shared_dir() {
  const char* env = std::getenv("BPFRT_SHARED_DIR");
  return env != nullptr ? env : BPFRT_SHARED_DIR;
}

inline Program must_assemble(const std::string& text) {
  auto program = assemble_program(text);
  EXPECT_TRUE(program.ok()) << (program.ok() ? "" : program.error().message);
  if (!program) {
    throw std::runtime_error("assembly failed: " + program.error().message);
  }
  return std::move(*program);
}

inline Result<uint64_t> run_text(const std::string& text, std::vector<uint8_t>* memory = nullptr,
                                 EngineOptions options = {}, EngineKind kind = EngineKind::kInterpreter) {
  auto engine = create_engine(kind, must_assemble(text), std::move(options));
  if (!engine) {
    return engine.take_error();
  }
  if (memory == nullptr) {
    return (*engine)->run(nullptr, 0);
  }
  return (*engine)->run(memory->data(), memory->size());
}

}  // namespace bpfrt::test
