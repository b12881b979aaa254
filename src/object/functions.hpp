// The functions of an object's code sections, each with its own copy of the instructions and every
// relocation that falls inside it applied: lddw of maps and global data rewritten to the map_idx /
// map_idx_value pseudo sources, CO-RE relocations resolved, and BPF-to-BPF calls and function
// addresses recorded for the linker (which places subprograms after each entry function).
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "bpfrt/object.hpp"

#include "object/btf_util.hpp"
#include "object/core_relo.hpp"
#include "object/elf_file.hpp"
#include "object/map_defs.hpp"

namespace bpfrt::object {

// A call or function-address load whose target the linker fixes up.
struct CallSite {
  size_t insn = 0;       // in the function
  size_t target = 0;     // index into the function list
  bool address = false;  // lddw func (callback address) rather than a call
  std::string symbol;
};

struct FunctionCode {
  std::string name;
  size_t section_index = 0;
  std::string section;
  size_t start = 0;    // first slot within the section
  bool entry = false;  // an entry program (not in .text)
  bool global = false;
  std::vector<Instruction> insns;
  std::vector<CallSite> calls;
  std::vector<AppliedRelocation> relocations;  // insn relative to the function
  std::vector<CoreRelocation> core_relocations;
};

struct CodeInputs {
  const ElfFile* elf = nullptr;
  const struct btf* btf = nullptr;
  const BtfExt* btf_ext = nullptr;
  const std::vector<MapDefinition>* maps = nullptr;
  // Resolved on first use when the object has CO-RE relocations.
  const OpenOptions* options = nullptr;
};

struct CodeResult {
  std::vector<FunctionCode> functions;  // sorted by (section, start)
  std::string core_target;              // description of the target BTF, if one was used
};

[[nodiscard]] Result<CodeResult> collect_functions(const CodeInputs& in);

}  // namespace bpfrt::object
