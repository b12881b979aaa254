// A BPF ELF relocatable object read into plain tables: sections (with their bytes), the symbol table
// and relocation records. libelf does the parsing; this unit checks what a BPF object must be (64-bit,
// little-endian, EM_BPF, ET_REL) and that every offset and index it hands out lies inside the file, so
// the stages above never see a dangling reference. Errors name the section or symbol.
// Thread-safety: immutable after parse().
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bpfrt/result.hpp"

namespace bpfrt::object {

struct ElfSection {
  size_t index = 0;
  std::string name;
  uint32_t type = 0;   // SHT_*
  uint64_t flags = 0;  // SHF_*
  uint64_t size = 0;   // sh_size (NOBITS sections have no bytes but a size)
  uint32_t link = 0;
  uint32_t info = 0;
  std::vector<uint8_t> bytes;  // empty for SHT_NOBITS

  bool executable() const;
  bool nobits() const;
};

struct ElfSymbol {
  size_t index = 0;
  std::string name;
  uint64_t value = 0;
  uint64_t size = 0;
  uint8_t type = 0;  // STT_*
  uint8_t bind = 0;  // STB_*
  uint8_t visibility = 0;
  uint16_t shndx = 0;  // SHN_UNDEF, a section index or a reserved index
};

struct ElfRelocation {
  uint64_t offset = 0;  // in the section the relocations apply to
  uint32_t symbol = 0;  // index into symbols()
  uint32_t type = 0;    // R_BPF_*
};

class ElfFile {
 public:
  [[nodiscard]] static Result<ElfFile> parse(std::span<const uint8_t> bytes);

  std::span<const ElfSection> sections() const { return sections_; }
  // nullptr when the index is out of range.
  const ElfSection* section(size_t index) const;
  const ElfSection* find_section(std::string_view name) const;
  std::span<const ElfSymbol> symbols() const { return symbols_; }

  // The relocation records of a SHT_REL section, each checked: symbol index in range.
  [[nodiscard]] Result<std::vector<ElfRelocation>> relocations(const ElfSection& rel) const;

 private:
  std::vector<ElfSection> sections_;
  std::vector<ElfSymbol> symbols_;
};

}  // namespace bpfrt::object
