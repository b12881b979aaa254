// Fuzzes the object loader: arbitrary bytes as a BPF ELF object. Opening must return a value (an
// Object or an Error), never crash, hang or leak; what opens is disassembled, and its map-free
// programs are run once through the interpreter under an instruction budget; objects with small maps
// are loaded into a private registry (maps created, every program verified and registered) and
// unloaded again.
#include <cstddef>
#include <cstdint>

#include "bpfrt/object.hpp"
#include "bpfrt/object_loader.hpp"
#include "bpfrt/test_run.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto obj = bpfrt::Object::open_memory(std::span<const uint8_t>(data, size));
  if (!obj) {
    return 0;
  }
  bpfrt::HelperTable helpers;
  (void)bpfrt::add_core_poison_helper(helpers);
  for (const auto& p : obj->programs()) {
    (void)bpfrt::disassemble(p.program);
    if (p.uses_maps()) {
      continue;
    }
    bpfrt::EngineOptions options;
    options.helpers = &helpers;
    options.instruction_budget = 100000;
    bpfrt::TestRunInput input;
    if (bpfrt::is_packet_program(p.type)) {
      input.data_in.assign(64, 0);
      input.data_in[12] = 0x08;  // IPv4
      input.data_in[14] = 0x45;
    } else {
      input.ctx_in.assign(256, 0);
    }
    (void)bpfrt::test_run(bpfrt::EngineKind::kInterpreter, p.program, p.type, options, input);
  }
  for (const auto& g : obj->globals()) {
    (void)obj->global_value(g.name);
  }
  // Loading: only objects whose maps stay small, so that a huge max_entries is not an out-of-memory.
  uint64_t bytes = 0;
  for (const auto& m : obj->maps()) {
    bytes += (uint64_t{m.key_size} + m.value_size + 64) * m.max_entries;
  }
  if (bytes > (1u << 20)) {
    return 0;
  }
  bpfrt::RegistryOptions ro;
  ro.name = "";
  auto rt = bpfrt::Runtime::open(ro);
  if (!rt) {
    return 0;
  }
  auto loaded = bpfrt::load_object(**rt, *obj);
  if (loaded) {
    (void)bpfrt::unload_object(**rt, *loaded);
  }
  return 0;
}
