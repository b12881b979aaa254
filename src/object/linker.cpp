#include "object/linker.hpp"

#include <algorithm>

namespace bpfrt::object {

LinkedProgram link_program(const std::vector<FunctionCode>& functions, size_t entry) {
  LinkedProgram out;
  std::vector<ptrdiff_t> placed(functions.size(), -1);
  auto place = [&](size_t f) {
    const FunctionCode& fn = functions[f];
    const size_t base = out.insns.size();
    placed[f] = static_cast<ptrdiff_t>(base);
    out.insns.insert(out.insns.end(), fn.insns.begin(), fn.insns.end());
    out.functions.push_back(FunctionSpan{fn.name, base, fn.insns.size(), fn.global});
    for (AppliedRelocation r : fn.relocations) {
      r.insn += base;
      out.relocations.push_back(std::move(r));
    }
    for (CoreRelocation r : fn.core_relocations) {
      r.insn += base;
      out.core_relocations.push_back(std::move(r));
    }
  };
  place(entry);
  // Depth-first over call sites; (function, next call site).
  std::vector<std::pair<size_t, size_t>> stack{{entry, 0}};
  while (!stack.empty()) {
    const auto [f, ci] = stack.back();
    const FunctionCode& fn = functions[f];
    if (ci == fn.calls.size()) {
      stack.pop_back();
      continue;
    }
    ++stack.back().second;
    const CallSite& cs = fn.calls[ci];
    if (placed[cs.target] < 0) {
      place(cs.target);
      stack.emplace_back(cs.target, 0);
    }
    const size_t at = static_cast<size_t>(placed[f]) + cs.insn;
    out.insns[at].imm = static_cast<int32_t>(placed[cs.target] - static_cast<ptrdiff_t>(at) - 1);
    AppliedRelocation r;
    r.kind = cs.address ? AppliedRelocation::Kind::kFunc : AppliedRelocation::Kind::kCall;
    r.insn = at;
    r.symbol = cs.symbol;
    r.function = functions[cs.target].name;
    out.relocations.push_back(std::move(r));
  }
  std::stable_sort(out.relocations.begin(), out.relocations.end(),
                   [](const AppliedRelocation& a, const AppliedRelocation& b) { return a.insn < b.insn; });
  std::stable_sort(out.core_relocations.begin(), out.core_relocations.end(),
                   [](const CoreRelocation& a, const CoreRelocation& b) { return a.insn < b.insn; });
  return out;
}

}  // namespace bpfrt::object
