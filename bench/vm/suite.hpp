// The programs of the VM benchmark: each is one C function compiled to BPF (its .text, embedded at
// build time) and natively from the same source, plus the context it runs on.
// Thread-safety: the table is immutable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace bpfrt::bench {

enum class ProgramKind {
  kLoop,      // compute programs with loops
  kLoopFree,  // short per-event programs without backward jumps (DPDK's validator accepts these)
};

using NativeFn = uint64_t (*)(void* ctx);

struct VmProgram {
  std::string_view name;
  std::string_view what;
  ProgramKind kind;
  std::span<const uint8_t> bytecode;  // the BPF .text
  NativeFn native;
  std::vector<uint8_t> (*make_context)();  // the input, deterministic
};

std::span<const VmProgram> vm_programs();

}  // namespace bpfrt::bench
