// Instructions as the kernel's verifier log prints them (kernel/bpf/disasm.c conventions):
// "r0 = *(u64 *)(r1 +8)", "if w1 > 0x5 goto pc+3", "lock *(u32 *)(r10 -4) += w1", "call map_lookup_elem#1".
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>

#include "bpfrt/helper.hpp"
#include "bpfrt/isa.hpp"

namespace bpfrt::verifier {

// The instruction at `index` in kernel syntax; helper names come from `helpers` when given.
std::string kernel_insn_text(const Program& program, size_t index, const HelperTable* helpers);

// "12: (79) r0 = *(u64 *)(r1 +8)" — the line the log prints for an instruction.
std::string kernel_insn_line(const Program& program, size_t index, const HelperTable* helpers);

}  // namespace bpfrt::verifier
