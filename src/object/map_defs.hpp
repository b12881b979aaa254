// Map definitions of an object: BTF-defined maps in ".maps" (libbpf's __uint/__type/__array
// convention), struct bpf_map_def records in the legacy "maps" section, and one single-element array
// per global data section. Also the global variables of those sections and the `.values`
// initialisers of prog arrays and maps of maps.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include "bpfrt/object.hpp"

#include "object/btf_util.hpp"
#include "object/elf_file.hpp"

namespace bpfrt::object {

// A ObjectMap with where it sits in the ELF, so relocations can find it.
struct MapDefinition {
  ObjectMap spec;
  size_t section_index = 0;
  uint64_t offset = 0;  // of the definition in its section (0 for global data)
  uint64_t size = 0;    // bytes the definition covers
  // BTF maps with `.values`: where the array of initialiser pointers starts within the definition.
  uint64_t values_offset = std::numeric_limits<uint64_t>::max();
};

// Section kinds that hold global data, by libbpf's names.
bool is_data_section_name(std::string_view name, MapOrigin* origin = nullptr);

// All maps, in libbpf's order: BTF-defined and legacy maps by symbol offset, then global data by
// section index. `btf` may be null when the object has no .BTF (then .maps cannot be parsed).
[[nodiscard]] Result<std::vector<MapDefinition>> collect_maps(const ElfFile& elf, const struct btf* btf);

// Global variables of the data sections (from the symbol table, typed from BTF where present).
[[nodiscard]] Result<std::vector<GlobalVariable>> collect_globals(const ElfFile& elf, const struct btf* btf,
                                                                  const std::vector<MapDefinition>& maps);

// Resolves `.rel.maps` entries into ObjectMap::init_slots. `program_index` maps a function

// symbol to its index in the object's program list, or -1 when the symbol is not an entry function.
[[nodiscard]] Status collect_init_slots(const ElfFile& elf, std::vector<MapDefinition>& maps,
                                        const std::function<int(const ElfSymbol&)>& program_index);

}  // namespace bpfrt::object
