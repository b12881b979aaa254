// Links an entry function with the subprograms it reaches, as libbpf does: the entry's instructions
// first, then each subprogram appended the first time a call or function address reaches it
// (depth-first, in instruction order), with every call and lddw func made relative to the new layout.
// Thread-safety: pure function.
#pragma once

#include <vector>

#include "object/functions.hpp"

namespace bpfrt::object {

struct LinkedProgram {
  std::vector<Instruction> insns;
  std::vector<FunctionSpan> functions;
  std::vector<AppliedRelocation> relocations;
  std::vector<CoreRelocation> core_relocations;
};

[[nodiscard]] LinkedProgram link_program(const std::vector<FunctionCode>& functions, size_t entry);

}  // namespace bpfrt::object
