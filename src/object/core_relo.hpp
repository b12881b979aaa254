// CO-RE (compile once, run everywhere) relocations: each record of .BTF.ext names an instruction, a
// local BTF type and an access string ("0:12:1"); it is resolved against a target BTF (the running
// kernel's, or one given by the caller) and the instruction is patched: a field's offset, size,
// existence, signedness or bitfield shifts; a type's id, existence, size or structural match; an
// enumerator's existence or value. The candidate search, matching and patching rules are libbpf's
// (relo_core.c), implemented here over libbpf's btf API because libbpf 1.1 only applies them while
// loading into the kernel. A relocation with no matching target poisons the instruction, as libbpf
// does; ambiguity and malformed records are errors naming the program, instruction and access.
// Thread-safety: TargetBtf is immutable after load() and shared between objects.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bpfrt/object.hpp"

#include "object/btf_util.hpp"

namespace bpfrt::object {

class TargetBtf {
 public:
  // `path` empty: the running kernel's BTF (cached for the life of the process).
  [[nodiscard]] static Result<std::shared_ptr<const TargetBtf>> load(const std::string& path);

  const struct btf* btf() const { return btf_.get(); }
  const std::string& description() const { return description_; }
  // Types whose name without flavour suffix is `essential`.
  const std::vector<uint32_t>* candidates(std::string_view essential) const;

 private:
  TargetBtf(BtfPtr btf, std::string description);

  BtfPtr btf_;
  std::string description_;
  std::unordered_map<std::string_view, std::vector<uint32_t>> by_name_;
};

struct CoreContext {
  const struct btf* local = nullptr;  // the object's .BTF
  const TargetBtf* target = nullptr;
  bool strict = false;       // an unresolvable relocation is an error instead of a poisoned instruction
  std::string_view program;  // for messages
};

// Resolves `record` and patches insns[index] (and index+1 for lddw). `index` is the instruction's slot
// in `insns`; the returned record carries that slot too.
[[nodiscard]] Result<CoreRelocation> apply_core_relocation(const CoreContext& ctx, const CoreReloRecord& record,
                                                           std::vector<Instruction>& insns, size_t index);

}  // namespace bpfrt::object
