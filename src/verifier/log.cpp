// Register and state text in the style of the kernel's verifier log:
// "R0=map_value_or_null(id=1,map=counts,ks=4,vs=8) R1=ctx() R10=fp0 fp-8=mmmm0000".
#include <fmt/format.h>

#include "verifier/map_rules.hpp"
#include "verifier/verifier_env.hpp"

namespace bpfrt::verifier {
namespace {

char slot_char(SlotType t) {
  switch (t) {
    case SlotType::kInvalid:
      return '?';
    case SlotType::kMisc:
      return 'm';
    case SlotType::kZero:
      return '0';
    case SlotType::kSpill:
      return 'r';
  }
  return '?';
}

}  // namespace

std::string Verifier::reg_text(const RegState& reg) const {
  if (reg.type == RegType::kNotInit) {
    return "?";
  }
  if (reg.type == RegType::kScalar) {
    if (reg.var.is_const()) {
      return scalar_to_string(reg.var);
    }
    const std::string bounds = scalar_bounds_text(reg.var);
    if (reg.id != 0) {
      return fmt::format("scalar(id={}{}{})", reg.id, bounds.empty() ? "" : ",", bounds);
    }
    return "scalar(" + bounds + ")";
  }
  if (reg.type == RegType::kStack && reg.var.is_const() && reg.var.const_value() == 0) {
    return fmt::format("fp{}", reg.off);
  }
  std::vector<std::string> parts;
  if (reg.id != 0) {
    parts.push_back(fmt::format("id={}", reg.id));
  }
  if (reg.ref_obj_id != 0) {
    parts.push_back(fmt::format("ref_obj_id={}", reg.ref_obj_id));
  }
  if (reg.map >= 0 && static_cast<size_t>(reg.map) < maps_.size()) {
    const MapInfo& map = maps_[static_cast<size_t>(reg.map)];
    parts.push_back(fmt::format("map={},ks={},vs={}", map.name.empty() ? map_type_name(map.type) : map.name,
                                map.key_size, map.value_size));
  }
  if (reg.off != 0) {
    parts.push_back(fmt::format("off={}", reg.off));
  }
  if (reg.is_packet()) {
    parts.push_back(fmt::format("r={}", reg.range));
  }
  if (reg.type == RegType::kMem) {
    parts.push_back(fmt::format("sz={}", reg.mem_size));
  }
  if (reg.type == RegType::kFunc) {
    parts.push_back(fmt::format("subprog={}", reg.subprog));
  }
  if (!(reg.var.is_const() && reg.var.const_value() == 0)) {
    const std::string bounds = reg.var.is_const() ? fmt::format("imm={}", static_cast<int64_t>(reg.var.const_value()))
                                                  : scalar_bounds_text(reg.var);
    if (!bounds.empty()) {
      parts.push_back(bounds);
    }
  }
  std::string inner;
  for (size_t i = 0; i < parts.size(); ++i) {
    inner += (i == 0 ? "" : ",") + parts[i];
  }
  return fmt::format("{}({})", reg_type_name(reg.type, reg.maybe_null), inner);
}

std::string Verifier::state_text(const State& state) const {
  std::string out;
  if (state.frames.size() > 1) {
    out = fmt::format("frame{}: ", state.curframe());
  }
  const Frame& frame = state.cur();
  bool first = true;
  auto add = [&](const std::string& item) {
    out += first ? "" : " ";
    out += item;
    first = false;
  };
  for (size_t r = 0; r < frame.regs.size(); ++r) {
    if (frame.regs[r].type != RegType::kNotInit) {
      add(fmt::format("R{}={}", r, reg_text(frame.regs[r])));
    }
  }
  for (size_t i = 0; i < frame.stack.size(); ++i) {
    const StackSlot& slot = frame.stack[i];
    const int off = -static_cast<int>(8 * (i + 1));
    if (slot.is_spill()) {
      add(fmt::format("fp{}={}", off, reg_text(slot.spilled)));
      continue;
    }
    bool any = false;
    std::string bytes;
    for (size_t j = 8; j-- > 0;) {  // highest address first, as the kernel prints
      any = any || slot.bytes[j] != SlotType::kInvalid;
      bytes += slot_char(slot.bytes[j]);
    }
    if (any) {
      add(fmt::format("fp{}={}", off, bytes));
    }
  }
  if (!state.refs.empty()) {
    std::string refs;
    for (const RefState& ref : state.refs) {
      refs += fmt::format("{}{}", refs.empty() ? "" : ",", ref.id);
    }
    add("refs=" + refs);
  }
  return out;
}

}  // namespace bpfrt::verifier
