// Fuzzes the .data parser, the assembler and the interpreter on conformance-vector text.
#include <cstdint>
#include <string_view>

#include "conformance/vector_runner.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto vector = bpfrt::parse_test_vector(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!vector) {
    return 0;
  }
  (void)bpfrt::run_vector(*vector, bpfrt::EngineKind::kInterpreter, /*instruction_budget=*/100000);
  return 0;
}
