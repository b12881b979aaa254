#include "object/elf_file.hpp"

#include <cstring>
#include <memory>

#include <elf.h>
#include <fmt/format.h>
#include <gelf.h>
#include <libelf.h>

namespace bpfrt::object {
namespace {

struct ElfDeleter {
  void operator()(Elf* elf) const { elf_end(elf); }
};
using ElfHandle = std::unique_ptr<Elf, ElfDeleter>;

Error format_error(std::string what) {
  return make_error(ErrorCode::kInvalidArgument, std::move(what));
}

std::string libelf_message() {
  const char* msg = elf_errmsg(-1);
  return msg != nullptr ? msg : "unknown libelf error";
}

Status check_header(const GElf_Ehdr& ehdr) {
  if (ehdr.e_ident[EI_CLASS] != ELFCLASS64) {
    return format_error("not a 64-bit ELF object (BPF objects are ELFCLASS64)");
  }
  if (ehdr.e_ident[EI_DATA] != ELFDATA2LSB) {
    return format_error("big-endian ELF object (bpfeb); only little-endian (bpfel) objects are supported");
  }
  if (ehdr.e_machine != EM_BPF) {
    return format_error(fmt::format("ELF machine is {} ({}), not EM_BPF (247): not a BPF object", ehdr.e_machine,
                                    ehdr.e_machine == EM_X86_64 ? "x86-64" : "other"));
  }
  if (ehdr.e_type != ET_REL) {
    return format_error(
        fmt::format("ELF type is {}, not ET_REL: expected a relocatable object from clang -c", ehdr.e_type));
  }
  return {};
}

Result<ElfSection> read_section(Elf* elf, Elf_Scn* scn, size_t shstrndx, std::span<const uint8_t> file) {
  GElf_Shdr shdr;
  if (gelf_getshdr(scn, &shdr) == nullptr) {
    return format_error(fmt::format("section {}: bad header: {}", elf_ndxscn(scn), libelf_message()));
  }
  ElfSection sec;
  sec.index = elf_ndxscn(scn);
  const char* name = elf_strptr(elf, shstrndx, shdr.sh_name);
  if (name == nullptr) {
    return format_error(
        fmt::format("section {}: name offset {} is outside the section name table", sec.index, shdr.sh_name));
  }
  sec.name = name;
  sec.type = shdr.sh_type;
  sec.flags = shdr.sh_flags;
  sec.size = shdr.sh_size;
  sec.link = shdr.sh_link;
  sec.info = shdr.sh_info;
  if (sec.type == SHT_NOBITS || sec.type == SHT_NULL || sec.size == 0) {
    return sec;
  }
  // Read the bytes straight from the image after checking the range, so no section can point outside.
  if (shdr.sh_offset > file.size() || shdr.sh_size > file.size() - shdr.sh_offset) {
    return format_error(fmt::format("section '{}': bytes {}..{} lie outside the {}-byte file", sec.name, shdr.sh_offset,
                                    shdr.sh_offset + shdr.sh_size, file.size()));
  }
  sec.bytes.assign(file.begin() + static_cast<ptrdiff_t>(shdr.sh_offset),
                   file.begin() + static_cast<ptrdiff_t>(shdr.sh_offset + shdr.sh_size));
  return sec;
}

Result<std::vector<ElfSymbol>> read_symbols(const std::vector<ElfSection>& sections) {
  const ElfSection* symtab = nullptr;
  for (const auto& sec : sections) {
    if (sec.type == SHT_SYMTAB) {
      if (symtab != nullptr) {
        return format_error("more than one symbol table (SHT_SYMTAB)");
      }
      symtab = &sec;
    }
  }
  std::vector<ElfSymbol> symbols;
  if (symtab == nullptr) {
    return symbols;
  }
  if (symtab->bytes.size() % sizeof(Elf64_Sym) != 0) {
    return format_error(fmt::format("section '{}': size {} is not a multiple of the symbol size {}", symtab->name,
                                    symtab->bytes.size(), sizeof(Elf64_Sym)));
  }
  if (symtab->link == 0 || symtab->link >= sections.size() || sections[symtab->link].type != SHT_STRTAB) {
    return format_error(fmt::format("section '{}': sh_link {} is not a string table", symtab->name, symtab->link));
  }
  const auto& strtab = sections[symtab->link].bytes;
  const size_t count = symtab->bytes.size() / sizeof(Elf64_Sym);
  symbols.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    Elf64_Sym raw;
    std::memcpy(&raw, symtab->bytes.data() + i * sizeof(raw), sizeof(raw));
    ElfSymbol sym;
    sym.index = i;
    if (raw.st_name >= strtab.size() && raw.st_name != 0) {
      return format_error(fmt::format("symbol {}: name offset {} is outside the string table", i, raw.st_name));
    }
    if (raw.st_name != 0) {
      const char* begin = reinterpret_cast<const char*>(strtab.data()) + raw.st_name;
      sym.name.assign(begin, strnlen(begin, strtab.size() - raw.st_name));
    }
    sym.value = raw.st_value;
    sym.size = raw.st_size;
    sym.type = ELF64_ST_TYPE(raw.st_info);
    sym.bind = ELF64_ST_BIND(raw.st_info);
    sym.visibility = ELF64_ST_VISIBILITY(raw.st_other);
    sym.shndx = raw.st_shndx;
    if (sym.shndx != SHN_UNDEF && sym.shndx < SHN_LORESERVE && sym.shndx >= sections.size()) {
      return format_error(fmt::format("symbol '{}': section index {} does not exist", sym.name, sym.shndx));
    }
    symbols.push_back(std::move(sym));
  }
  return symbols;
}

}  // namespace

bool ElfSection::executable() const {
  return type == SHT_PROGBITS && (flags & SHF_EXECINSTR) != 0;
}

bool ElfSection::nobits() const {
  return type == SHT_NOBITS;
}

Result<ElfFile> ElfFile::parse(std::span<const uint8_t> bytes) {
  if (bytes.size() < EI_NIDENT || std::memcmp(bytes.data(), ELFMAG, SELFMAG) != 0) {
    return format_error("not an ELF file (no \\x7fELF magic)");
  }
  if (bytes.size() < sizeof(Elf64_Ehdr)) {
    return format_error(
        fmt::format("truncated ELF file: {} bytes, the header alone needs {}", bytes.size(), sizeof(Elf64_Ehdr)));
  }
  if (elf_version(EV_CURRENT) == EV_NONE) {
    return make_error(ErrorCode::kUnsupported, "libelf is too old: " + libelf_message());
  }
  // libelf only reads the image (ELF_C_READ_MEMORY semantics); the cast is its API's.
  ElfHandle elf(elf_memory(const_cast<char*>(reinterpret_cast<const char*>(bytes.data())), bytes.size()));
  if (!elf || elf_kind(elf.get()) != ELF_K_ELF) {
    return format_error("not a valid ELF object: " + libelf_message());
  }
  GElf_Ehdr ehdr;
  if (gelf_getehdr(elf.get(), &ehdr) == nullptr) {
    return format_error("bad ELF header: " + libelf_message());
  }
  BPFRT_TRY(check_header(ehdr));
  size_t shstrndx = 0;
  if (elf_getshdrstrndx(elf.get(), &shstrndx) != 0) {
    return format_error("no section name table: " + libelf_message());
  }
  size_t count = 0;
  if (elf_getshdrnum(elf.get(), &count) != 0) {
    return format_error("bad section header table: " + libelf_message());
  }
  if (count == 0) {
    return format_error("the object has no sections");
  }
  ElfFile file;
  file.sections_.resize(1);  // section 0 is the null section
  for (size_t i = 1; i < count; ++i) {
    Elf_Scn* scn = elf_getscn(elf.get(), i);
    if (scn == nullptr) {
      return format_error(fmt::format("section {}: cannot read: {}", i, libelf_message()));
    }
    auto sec = read_section(elf.get(), scn, shstrndx, bytes);
    if (!sec) {
      return sec.take_error();
    }
    file.sections_.push_back(std::move(*sec));
  }
  auto symbols = read_symbols(file.sections_);
  if (!symbols) {
    return symbols.take_error();
  }
  file.symbols_ = std::move(*symbols);
  return file;
}

const ElfSection* ElfFile::section(size_t index) const {
  return index == 0 || index >= sections_.size() ? nullptr : &sections_[index];
}

const ElfSection* ElfFile::find_section(std::string_view name) const {
  for (const auto& sec : sections_) {
    if (sec.index != 0 && sec.name == name) {
      return &sec;
    }
  }
  return nullptr;
}

Result<std::vector<ElfRelocation>> ElfFile::relocations(const ElfSection& rel) const {
  if (rel.type != SHT_REL) {
    return format_error(fmt::format("section '{}': not a SHT_REL relocation section", rel.name));
  }
  if (rel.bytes.size() % sizeof(Elf64_Rel) != 0) {
    return format_error(fmt::format("section '{}': size {} is not a multiple of the relocation size {}", rel.name,
                                    rel.bytes.size(), sizeof(Elf64_Rel)));
  }
  std::vector<ElfRelocation> out(rel.bytes.size() / sizeof(Elf64_Rel));
  for (size_t i = 0; i < out.size(); ++i) {
    Elf64_Rel raw;
    std::memcpy(&raw, rel.bytes.data() + i * sizeof(raw), sizeof(raw));
    out[i].offset = raw.r_offset;
    out[i].symbol = static_cast<uint32_t>(ELF64_R_SYM(raw.r_info));
    out[i].type = static_cast<uint32_t>(ELF64_R_TYPE(raw.r_info));
    if (out[i].symbol >= symbols_.size()) {
      return format_error(fmt::format("section '{}': relocation {} names symbol {}, but there are only {} symbols",
                                      rel.name, i, out[i].symbol, symbols_.size()));
    }
  }
  return out;
}

}  // namespace bpfrt::object
