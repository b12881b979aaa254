#include "verifier/state.hpp"

namespace bpfrt::verifier {

const char* reg_type_name(RegType type, bool maybe_null) {
  switch (type) {
    case RegType::kNotInit:
      return "?";
    case RegType::kScalar:
      return "scalar";
    case RegType::kCtx:
      return "ctx";
    case RegType::kStack:
      return "fp";
    case RegType::kMapPtr:
      return maybe_null ? "map_ptr_or_null" : "map_ptr";
    case RegType::kMapValue:
      return maybe_null ? "map_value_or_null" : "map_value";
    case RegType::kMapKey:
      return "map_key";
    case RegType::kPacket:
      return "pkt";
    case RegType::kPacketMeta:
      return "pkt_meta";
    case RegType::kPacketEnd:
      return "pkt_end";
    case RegType::kMem:
      return maybe_null ? "mem_or_null" : "mem";
    case RegType::kFunc:
      return "func";
  }
  return "?";
}

RegState RegState::scalar(const Scalar& value) {
  RegState r;
  r.type = RegType::kScalar;
  r.var = value;
  return r;
}

RegState RegState::pointer(RegType type) {
  RegState r;
  r.type = type;
  r.var = Scalar::constant(0);
  return r;
}

StackSlot& Frame::slot_at(int off) {
  const auto index = static_cast<size_t>((-off - 1) / 8);
  if (index >= stack.size()) {
    stack.resize(index + 1);
  }
  return stack[index];
}

const StackSlot* Frame::find_slot(int off) const {
  const auto index = static_cast<size_t>((-off - 1) / 8);
  return index < stack.size() ? &stack[index] : nullptr;
}

SlotType Frame::byte_at(int off) const {
  const StackSlot* slot = find_slot(off);
  if (slot == nullptr) {
    return SlotType::kInvalid;
  }
  return slot->bytes[static_cast<size_t>(((off % 8) + 8) % 8)];
}

}  // namespace bpfrt::verifier
