// Fuzzes the decoder, the disassembler/assembler round trip and the interpreter on raw bytecode.
// Fails on: a crash or sanitizer report anywhere, or a program whose disassembly does not assemble
// back to the same bytes.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <span>

#include "bpfrt/engine.hpp"

#include "helpers/conformance_helpers.hpp"

namespace {

const bpfrt::HelperTable& helpers() {
  static const bpfrt::HelperTable table = [] {
    bpfrt::HelperTable t;
    (void)bpfrt::add_conformance_helpers(t);
    return t;
  }();
  return table;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto program = bpfrt::Program::decode(std::span(data, size - size % 8));
  if (!program) {
    return 0;
  }
  const std::string text = bpfrt::disassemble(*program);
  auto again = bpfrt::assemble_program(text);
  if (!again || again->bytes() != program->bytes()) {
    std::fprintf(stderr, "round trip failed:\n%s\n%s\n", text.c_str(),
                 again ? "bytes differ" : again.error().message.c_str());
    std::abort();
  }
  bpfrt::EngineOptions options;
  options.helpers = &helpers();
  options.instruction_budget = 100000;
  auto engine = bpfrt::create_engine(bpfrt::EngineKind::kInterpreter, std::move(*program), options);
  if (!engine) {
    return 0;
  }
  uint8_t memory[64];
  std::iota(memory, memory + sizeof(memory), uint8_t{0});
  (void)(*engine)->run(memory, sizeof(memory));
  return 0;
}
