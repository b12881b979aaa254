// Bad objects: every failure is an error that names what is wrong, never a crash (the ASan build
// runs these too).
#include <cstring>
#include <random>

#include <elf.h>
#include <gtest/gtest.h>

#include "bpfrt/object.hpp"

#include "corpus.hpp"

namespace bpfrt {
namespace {

// Finds a section header by name in a raw 64-bit ELF image.
Elf64_Shdr* section_header(std::vector<uint8_t>& elf, std::string_view name) {
  auto* eh = reinterpret_cast<Elf64_Ehdr*>(elf.data());
  auto* sh = reinterpret_cast<Elf64_Shdr*>(elf.data() + eh->e_shoff);
  const char* names = reinterpret_cast<const char*>(elf.data() + sh[eh->e_shstrndx].sh_offset);
  for (int i = 0; i < eh->e_shnum; ++i) {
    if (names + sh[i].sh_name == name) {
      return &sh[i];
    }
  }
  return nullptr;
}

// Renames a section by editing its name in place (same length).
void rename_section(std::vector<uint8_t>& elf, std::string_view from, std::string_view to) {
  auto* eh = reinterpret_cast<Elf64_Ehdr*>(elf.data());
  auto* sh = reinterpret_cast<Elf64_Shdr*>(elf.data() + eh->e_shoff);
  Elf64_Shdr* hdr = section_header(elf, from);
  ASSERT_NE(hdr, nullptr) << from;
  ASSERT_EQ(from.size(), to.size());
  std::memcpy(elf.data() + sh[eh->e_shstrndx].sh_offset + hdr->sh_name, to.data(), to.size());
}

Error open_error(const std::vector<uint8_t>& bytes) {
  auto obj = Object::open_memory(bytes);
  EXPECT_FALSE(obj.ok());
  return obj.ok() ? Error{} : obj.error();
}

void expect_message(const std::vector<uint8_t>& bytes, std::string_view needle) {
  const Error e = open_error(bytes);
  EXPECT_NE(e.message.find(needle), std::string::npos) << "message: " << e.message;
}

TEST(BadObjects, NotElfEmptyAndTruncated) {
  expect_message({}, "not an ELF file");
  const std::string text = "#!/bin/sh\necho hello\n";
  expect_message(std::vector<uint8_t>(text.begin(), text.end()), "not an ELF file");
  BPFRT_REQUIRE_CORPUS("map_hash");
  const auto good = test::read_bytes(test::corpus_path("map_hash"));
  expect_message(std::vector<uint8_t>(good.begin(), good.begin() + 20), "truncated");
  // Every truncation fails cleanly.
  for (size_t len = 0; len < good.size(); len += 1 + len / 16) {
    auto obj = Object::open_memory(std::span<const uint8_t>(good.data(), len));
    EXPECT_FALSE(obj.ok()) << "truncated to " << len << " bytes";
    if (!obj.ok()) {
      EXPECT_FALSE(obj.error().message.empty());
    }
  }
}

TEST(BadObjects, WrongMachineAndClass) {
  BPFRT_REQUIRE_CORPUS("xdp_pass");
  auto bytes = test::read_bytes(test::corpus_path("xdp_pass"));
  auto x86 = bytes;
  reinterpret_cast<Elf64_Ehdr*>(x86.data())->e_machine = EM_X86_64;
  expect_message(x86, "not EM_BPF");
  auto big = bytes;
  big[EI_DATA] = ELFDATA2MSB;
  expect_message(big, "big-endian");
  auto exec = bytes;
  reinterpret_cast<Elf64_Ehdr*>(exec.data())->e_type = ET_EXEC;
  expect_message(exec, "ET_REL");
}

TEST(BadObjects, RealX86Object) {
  const std::string path = BPFRT_X86_OBJECT;
  const auto bytes = test::read_bytes(path);
  if (bytes.empty()) {
    GTEST_SKIP() << "no x86 object at " << path;
  }
  auto obj = Object::open(path);
  ASSERT_FALSE(obj.ok());
  EXPECT_NE(obj.error().message.find("x86-64"), std::string::npos) << obj.error().message;
  EXPECT_NE(obj.error().message.find(path), std::string::npos);
}

TEST(BadObjects, UnknownSectionNamesTheSection) {
  BPFRT_REQUIRE_CORPUS("xdp_pass");
  auto obj = Object::open(test::corpus_dir() + "/bad/unknown_section.bpf.o");
  ASSERT_FALSE(obj.ok());
  EXPECT_NE(obj.error().message.find("section 'not_a_program_type/foo'"), std::string::npos) << obj.error().message;
  EXPECT_NE(obj.error().message.find("'mystery'"), std::string::npos);
  // A known section renamed to an unknown one.
  auto bytes = test::read_bytes(test::corpus_path("xdp_pass"));
  rename_section(bytes, "xdp", "xdq");
  expect_message(bytes, "section 'xdq': unknown program section");
}

TEST(BadObjects, UnsupportedExternsAndStaticPrograms) {
  BPFRT_REQUIRE_CORPUS("xdp_pass");
  auto ext = Object::open(test::corpus_dir() + "/bad/kconfig_extern.bpf.o");
  ASSERT_FALSE(ext.ok());
  EXPECT_EQ(ext.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(ext.error().message.find("'LINUX_KERNEL_VERSION'"), std::string::npos) << ext.error().message;
  auto st = Object::open(test::corpus_dir() + "/bad/static_entry.bpf.o");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("'hidden' is static"), std::string::npos) << st.error().message;
}

TEST(BadObjects, MissingBtfForBtfMaps) {
  BPFRT_REQUIRE_CORPUS("map_hash");
  auto bytes = test::read_bytes(test::corpus_path("map_hash"));
  rename_section(bytes, ".BTF", ".XYZ");  // .BTF.ext stays: it now refers to a missing .BTF
  expect_message(bytes, ".BTF");
}

TEST(BadObjects, CorruptBtfNamesTheSection) {
  BPFRT_REQUIRE_CORPUS("map_hash");
  auto bytes = test::read_bytes(test::corpus_path("map_hash"));
  Elf64_Shdr* btf = section_header(bytes, ".BTF");
  ASSERT_NE(btf, nullptr);
  bytes[btf->sh_offset] ^= 0xff;  // magic
  expect_message(bytes, "section '.BTF'");
  auto truncated = test::read_bytes(test::corpus_path("map_hash"));
  btf = section_header(truncated, ".BTF");
  // Claim a type section longer than the data.
  uint32_t type_len = 0;  // btf_header.type_len, at byte 12
  std::memcpy(&type_len, truncated.data() + btf->sh_offset + 12, 4);
  type_len += 4096;
  std::memcpy(truncated.data() + btf->sh_offset + 12, &type_len, 4);
  expect_message(truncated, "section '.BTF'");
}

TEST(BadObjects, RelocationsOutsideTheirSection) {
  BPFRT_REQUIRE_CORPUS("map_hash");
  auto bytes = test::read_bytes(test::corpus_path("map_hash"));
  Elf64_Shdr* rel = section_header(bytes, ".relxdp");
  ASSERT_NE(rel, nullptr);
  auto* r = reinterpret_cast<Elf64_Rel*>(bytes.data() + rel->sh_offset);
  auto moved = bytes;
  reinterpret_cast<Elf64_Rel*>(moved.data() + rel->sh_offset)->r_offset = 1u << 20;
  expect_message(moved, "outside the section");
  auto misaligned = bytes;
  reinterpret_cast<Elf64_Rel*>(misaligned.data() + rel->sh_offset)->r_offset = r->r_offset + 3;
  expect_message(misaligned, "not on an instruction");
  auto bad_symbol = bytes;
  reinterpret_cast<Elf64_Rel*>(bad_symbol.data() + rel->sh_offset)->r_info = ELF64_R_INFO(99999, R_BPF_64_64);
  expect_message(bad_symbol, "symbol 99999");
  auto not_lddw = bytes;
  reinterpret_cast<Elf64_Rel*>(not_lddw.data() + rel->sh_offset)->r_offset = 0;  // the first instruction
  expect_message(not_lddw, "neither lddw nor call");
}

TEST(BadObjects, SectionBytesOutsideTheFile) {
  BPFRT_REQUIRE_CORPUS("xdp_pass");
  auto bytes = test::read_bytes(test::corpus_path("xdp_pass"));
  section_header(bytes, "xdp")->sh_offset = bytes.size() + 100;
  const Error e = open_error(bytes);
  EXPECT_FALSE(e.message.empty());
}

TEST(BadObjects, MissingSectionsAndSymbols) {
  BPFRT_REQUIRE_CORPUS("xdp_pass");
  auto bytes = test::read_bytes(test::corpus_path("xdp_pass"));
  Elf64_Shdr* symtab = section_header(bytes, ".symtab");
  ASSERT_NE(symtab, nullptr);
  symtab->sh_type = SHT_PROGBITS;  // no symbol table: code without a function
  expect_message(bytes, "without a function symbol");
  auto no_code = test::read_bytes(test::corpus_path("xdp_pass"));
  section_header(no_code, "xdp")->sh_flags &= ~static_cast<uint64_t>(SHF_EXECINSTR);
  expect_message(no_code, "no programs");
}

// Random corruption of every corpus object: always a value, never a crash.
TEST(BadObjects, RandomCorruptionNeverCrashes) {
  const auto names = test::corpus_objects();
  if (names.empty()) {
    GTEST_SKIP() << "the BPF corpus was not built";
  }
  std::mt19937 rng(12345);
  size_t failures = 0;
  size_t total = 0;
  for (const auto& name : names) {
    const auto good = test::read_bytes(test::corpus_path(name));
    for (int round = 0; round < 40; ++round) {
      auto bytes = good;
      const int flips = 1 + static_cast<int>(rng() % 8);
      for (int f = 0; f < flips; ++f) {
        bytes[rng() % bytes.size()] = static_cast<uint8_t>(rng());
      }
      auto obj = Object::open_memory(bytes);
      ++total;
      if (!obj.ok()) {
        ++failures;
        EXPECT_FALSE(obj.error().message.empty());
      }
    }
  }
  EXPECT_GT(total, 0u);
  std::printf("%zu of %zu corrupted objects were refused\n", failures, total);
}

}  // namespace
}  // namespace bpfrt
