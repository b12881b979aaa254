// BTF access for the loader: libbpf's btf objects held by RAII, lookups that return nullptr instead of
// trusting ids from the file, and the .BTF.ext records (func_info, line_info, CO-RE relocations),
// which libbpf 1.1 parses only into private structures, read here with every length checked.
// Thread-safety: a parsed btf is read-only; concurrent reads are safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <bpf/btf.h>

#include "bpfrt/result.hpp"

namespace bpfrt::object {

struct BtfDeleter {
  void operator()(struct btf* b) const { btf__free(b); }
};
using BtfPtr = std::unique_ptr<struct btf, BtfDeleter>;

// Parses raw BTF (the .BTF section). `what` names it in errors.
[[nodiscard]] Result<BtfPtr> parse_btf(std::span<const uint8_t> bytes, std::string_view what);

// nullptr for an id outside the table.
const btf_type* type_by_id(const struct btf* btf, uint32_t id);
// Follows const/volatile/restrict/typedef/type_tag (at most 32 steps); nullptr on a bad id or a loop.
const btf_type* skip_mods_and_typedefs(const struct btf* btf, uint32_t id, uint32_t* res_id = nullptr);
// "" for an offset outside the string table.
std::string_view name_of(const struct btf* btf, uint32_t name_off);
// "struct task_struct", "int", "enum bpf_map_type", "[42]" for anonymous types.
std::string type_display(const struct btf* btf, uint32_t id);
// Length of a name without its CO-RE flavour suffix ("task_struct___old" -> 11).
size_t essential_name_len(std::string_view name);
// Size in bytes; an error for types without one (void, functions) or malformed chains.
[[nodiscard]] Result<uint32_t> resolve_size(const struct btf* btf, uint32_t id);

bool is_composite(const btf_type* t);
bool is_any_enum(const btf_type* t);

// ---- .BTF.ext

struct FuncInfoRecord {
  uint32_t insn_off = 0;  // bytes from the section start
  uint32_t type_id = 0;   // BTF_KIND_FUNC
};

struct LineInfoRecord {
  uint32_t insn_off = 0;
  uint32_t file_name_off = 0;
  uint32_t line_off = 0;
  uint32_t line_col = 0;  // line << 10 | column
};

struct CoreReloRecord {
  uint32_t insn_off = 0;
  uint32_t type_id = 0;
  uint32_t access_str_off = 0;
  uint32_t kind = 0;  // enum bpf_core_relo_kind
};

struct BtfExt {
  // Keyed by the ELF section name the records refer to.
  std::map<std::string, std::vector<FuncInfoRecord>, std::less<>> func_info;
  std::map<std::string, std::vector<LineInfoRecord>, std::less<>> line_info;
  std::map<std::string, std::vector<CoreReloRecord>, std::less<>> core_relos;
};

// Parses a .BTF.ext section; names are looked up in `btf` (the object's .BTF).
[[nodiscard]] Result<BtfExt> parse_btf_ext(std::span<const uint8_t> bytes, const struct btf* btf);

}  // namespace bpfrt::object
