#include "object/map_defs.hpp"

#include <algorithm>
#include <cstring>

#include <elf.h>
#include <fmt/format.h>
#include <linux/bpf.h>

namespace bpfrt::object {
namespace {

constexpr uint32_t kLegacyDefSize = 20;  // struct bpf_map_def: type, key, value, max_entries, flags
constexpr uint64_t kMaxGlobalDataSize = 64u << 20;

Error map_error(std::string_view map, std::string what) {
  return make_error(ErrorCode::kInvalidArgument, fmt::format("map '{}': {}", map, what));
}

bool is_map_in_map(uint32_t type) {
  return type == BPF_MAP_TYPE_ARRAY_OF_MAPS || type == BPF_MAP_TYPE_HASH_OF_MAPS;
}

// `__uint(name, N)` is `int (*name)[N]`: a pointer to an array of N elements.
Result<uint32_t> field_int(const struct btf* btf, std::string_view map, std::string_view field, uint32_t type_id) {
  const btf_type* t = skip_mods_and_typedefs(btf, type_id);
  if (t == nullptr || !btf_is_ptr(t)) {
    return map_error(map, fmt::format("field '{}' is not declared with __uint() (expected a pointer)", field));
  }
  const btf_type* arr = type_by_id(btf, t->type);
  if (arr == nullptr || !btf_is_array(arr)) {
    return map_error(map,
                     fmt::format("field '{}' is not declared with __uint() (expected a pointer to an array)", field));
  }
  return btf_array(arr)->nelems;
}

// `__type(name, T)` is `T *name`: returns T's id.
Result<uint32_t> field_type(const struct btf* btf, std::string_view map, std::string_view field, uint32_t type_id) {
  const btf_type* t = skip_mods_and_typedefs(btf, type_id);
  if (t == nullptr || !btf_is_ptr(t)) {
    return map_error(map, fmt::format("field '{}' is not declared with __type() (expected a pointer)", field));
  }
  if (type_by_id(btf, t->type) == nullptr) {
    return map_error(map, fmt::format("field '{}' names BTF type {}, which does not exist", field, t->type));
  }
  return t->type;
}

Status set_size(std::string_view map, const char* what, uint32_t& slot, uint32_t value) {
  if (slot != 0 && slot != value) {
    return map_error(map, fmt::format("conflicting {} size {} != {}", what, slot, value));
  }
  slot = value;
  return {};
}

struct ParsedDef {
  ObjectMap spec;
  uint64_t values_offset = std::numeric_limits<uint64_t>::max();
};

// Where a struct bpf_spin_lock sits in a map value: a top-level member of the value struct, as the
// kernel looks for it (btf_find_spin_lock). -1 if there is none.
int32_t spin_lock_offset(const struct btf* btf, uint32_t value_type_id) {
  const btf_type* value = value_type_id == 0 ? nullptr : skip_mods_and_typedefs(btf, value_type_id);
  if (value == nullptr || !btf_is_struct(value)) {
    return -1;
  }
  const btf_member* members = btf_members(value);
  for (uint16_t i = 0; i < btf_vlen(value); ++i) {
    const btf_type* t = skip_mods_and_typedefs(btf, members[i].type);
    if (t != nullptr && btf_is_struct(t) && name_of(btf, t->name_off) == "bpf_spin_lock") {
      return static_cast<int32_t>(btf_member_bit_offset(value, i) / 8);
    }
  }
  return -1;
}

Result<ParsedDef> parse_btf_def(const struct btf* btf, const std::string& name, const btf_type* def, bool inner);

// `__array(values, ...)`: a zero-sized array of pointers to an inner map definition or a function.
Status parse_values(const struct btf* btf, const std::string& name, const btf_member& m, bool inner, ParsedDef& out) {
  ObjectMap& spec = out.spec;
  if (inner) {
    return map_error(name, "multi-level inner maps are not supported");
  }
  const bool prog_array = spec.type == BPF_MAP_TYPE_PROG_ARRAY;
  if (!is_map_in_map(spec.type) && !prog_array) {
    return map_error(name, "'values' is only allowed for prog arrays and maps of maps (set 'type' first)");
  }
  BPFRT_TRY(set_size(name, "value", spec.value_size, 4));
  const btf_type* arr = type_by_id(btf, m.type);
  if (arr == nullptr || !btf_is_array(arr) || btf_array(arr)->nelems != 0) {
    return map_error(name, "'values' is not a zero-sized array");
  }
  const btf_type* ptr = skip_mods_and_typedefs(btf, btf_array(arr)->type);
  if (ptr == nullptr || !btf_is_ptr(ptr)) {
    return map_error(name, "'values' elements are not pointers");
  }
  const btf_type* target = skip_mods_and_typedefs(btf, ptr->type);
  if (prog_array) {
    if (target == nullptr || !btf_is_func_proto(target)) {
      return map_error(name, "prog array 'values' must point to functions");
    }
    return {};
  }
  if (target == nullptr || !btf_is_struct(target)) {
    return map_error(name, "map-in-map 'values' must point to a map definition struct");
  }
  auto inner_def = parse_btf_def(btf, name + ".inner", target, true);
  if (!inner_def) {
    return inner_def.take_error();
  }
  spec.inner = std::make_shared<const ObjectMap>(std::move(inner_def->spec));
  return {};
}

Result<ParsedDef> parse_btf_def(const struct btf* btf, const std::string& name, const btf_type* def, bool inner) {
  ParsedDef out;
  ObjectMap& spec = out.spec;
  spec.name = name;
  const uint16_t vlen = btf_vlen(def);
  const btf_member* members = btf_members(def);
  for (uint16_t i = 0; i < vlen; ++i) {
    const btf_member& m = members[i];
    const std::string_view field = name_of(btf, m.name_off);
    if (field.empty()) {
      return map_error(name, fmt::format("member #{} of the definition has no name", i));
    }
    auto as_int = [&]() { return field_int(btf, name, field, m.type); };
    if (field == "type" || field == "max_entries" || field == "map_flags" || field == "numa_node" ||
        field == "key_size" || field == "value_size" || field == "pinning" || field == "map_extra") {
      auto v = as_int();
      if (!v) {
        return v.take_error();
      }
      if (field == "type") {
        spec.type = *v;
      } else if (field == "max_entries") {
        spec.max_entries = *v;
      } else if (field == "map_flags") {
        spec.flags = *v;
      } else if (field == "numa_node") {
        spec.numa_node = *v;
      } else if (field == "key_size") {
        BPFRT_TRY(set_size(name, "key", spec.key_size, *v));
      } else if (field == "value_size") {
        BPFRT_TRY(set_size(name, "value", spec.value_size, *v));
      } else if (field == "map_extra") {
        spec.map_extra = *v;
      } else {  // pinning
        if (inner) {
          return map_error(name, "an inner map definition cannot be pinned");
        }
        if (*v != 0 && *v != 1) {
          return map_error(name, fmt::format("invalid pinning value {} (0: none, 1: by name)", *v));
        }
        spec.pinning = static_cast<MapPinning>(*v);
      }
    } else if (field == "key" || field == "value") {
      auto id = field_type(btf, name, field, m.type);
      if (!id) {
        return id.take_error();
      }
      auto size = resolve_size(btf, *id);
      if (!size) {
        return map_error(name, fmt::format("cannot size the {} type: {}", field, size.error().message));
      }
      if (field == "key") {
        BPFRT_TRY(set_size(name, "key", spec.key_size, *size));
        spec.btf_key_type_id = *id;
      } else {
        BPFRT_TRY(set_size(name, "value", spec.value_size, *size));
        spec.btf_value_type_id = *id;
      }
    } else if (field == "values") {
      if (i + 1 != vlen) {
        return map_error(name, "'values' must be the last member");
      }
      BPFRT_TRY(parse_values(btf, name, m, inner, out));
      out.values_offset = btf_member_bit_offset(def, i) / 8;
    } else {
      return map_error(name, fmt::format("unknown field '{}'", field));
    }
  }
  if (spec.type == BPF_MAP_TYPE_UNSPEC) {
    return map_error(name, "map type is not specified");
  }
  spec.spin_lock_offset = spin_lock_offset(btf, spec.btf_value_type_id);
  return out;
}

Result<std::vector<MapDefinition>> btf_maps(const ElfFile& elf, const struct btf* btf, const ElfSection& sec) {
  std::vector<MapDefinition> maps;
  if (btf == nullptr) {
    return make_error(ErrorCode::kInvalidArgument,
                      "section '.maps': BTF-defined maps need the object's .BTF section (compile with -g)");
  }
  const int32_t datasec_id = btf__find_by_name_kind(btf, ".maps", BTF_KIND_DATASEC);
  if (datasec_id <= 0) {
    return make_error(ErrorCode::kInvalidArgument, "section '.maps': no DATASEC '.maps' in .BTF");
  }
  const btf_type* datasec = type_by_id(btf, static_cast<uint32_t>(datasec_id));
  const btf_var_secinfo* vars = btf_var_secinfos(datasec);
  for (uint16_t i = 0; i < btf_vlen(datasec); ++i) {
    const btf_type* var = type_by_id(btf, vars[i].type);
    if (var == nullptr || !btf_is_var(var)) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("section '.maps': DATASEC entry #{} is not a variable", i));
    }
    const std::string name(name_of(btf, var->name_off));
    if (name.empty()) {
      return make_error(ErrorCode::kInvalidArgument, fmt::format("section '.maps': map #{} has no name", i));
    }
    const btf_type* def = skip_mods_and_typedefs(btf, var->type);
    if (def == nullptr || !btf_is_struct(def)) {
      return map_error(name, "definition is not a struct (use struct { __uint(type, ...); ... } name SEC(\".maps\"))");
    }
    const auto sym = std::find_if(elf.symbols().begin(), elf.symbols().end(), [&](const ElfSymbol& s) {
      return s.shndx == sec.index && s.name == name && s.type != STT_SECTION;
    });
    if (sym == elf.symbols().end()) {
      return map_error(name, "no symbol in section '.maps'");
    }
    const uint64_t size = vars[i].size != 0 ? vars[i].size : sym->size;
    if (sym->value > sec.size || size > sec.size - sym->value) {
      return map_error(
          name, fmt::format("definition at {}+{} lies outside section '.maps' ({} bytes)", sym->value, size, sec.size));
    }
    auto parsed = parse_btf_def(btf, name, def, false);
    if (!parsed) {
      return parsed.take_error();
    }
    MapDefinition md;
    md.spec = std::move(parsed->spec);
    md.spec.section = sec.name;
    md.spec.origin = MapOrigin::kBtf;
    md.section_index = sec.index;
    md.offset = sym->value;
    md.size = size;
    md.values_offset = parsed->values_offset;
    maps.push_back(std::move(md));
  }
  return maps;
}

Result<std::vector<MapDefinition>> legacy_maps(const ElfFile& elf, const ElfSection& sec) {
  std::vector<const ElfSymbol*> symbols;
  for (const auto& sym : elf.symbols()) {
    if (sym.shndx == sec.index && sym.type != STT_SECTION) {
      symbols.push_back(&sym);
    }
  }
  std::vector<MapDefinition> maps;
  if (symbols.empty()) {
    return maps;
  }
  std::sort(symbols.begin(), symbols.end(), [](const ElfSymbol* a, const ElfSymbol* b) { return a->value < b->value; });
  if (sec.nobits() || sec.bytes.size() % symbols.size() != 0) {
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("section 'maps': {} bytes cannot hold {} equal map definitions", sec.size, symbols.size()));
  }
  const uint64_t def_size = sec.bytes.size() / symbols.size();
  if (def_size < kLegacyDefSize || def_size % 4 != 0) {
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("section 'maps': definitions of {} bytes; struct bpf_map_def needs {}", def_size, kLegacyDefSize));
  }
  for (const ElfSymbol* sym : symbols) {
    if (sym->value % 4 != 0 || sym->value > sec.bytes.size() || def_size > sec.bytes.size() - sym->value) {
      return map_error(sym->name, fmt::format("definition at offset {} lies outside section 'maps'", sym->value));
    }
    const uint8_t* raw = sec.bytes.data() + sym->value;
    for (uint64_t b = kLegacyDefSize; b < def_size; ++b) {
      if (raw[b] != 0) {
        return map_error(
            sym->name, fmt::format("legacy definition has unrecognised non-zero fields after byte {}", kLegacyDefSize));
      }
    }
    uint32_t fields[5];
    std::memcpy(fields, raw, sizeof(fields));
    MapDefinition md;
    md.spec.name = sym->name;
    md.spec.section = sec.name;
    md.spec.origin = MapOrigin::kLegacy;
    md.spec.type = fields[0];
    md.spec.key_size = fields[1];
    md.spec.value_size = fields[2];
    md.spec.max_entries = fields[3];
    md.spec.flags = fields[4];
    if (md.spec.type == BPF_MAP_TYPE_UNSPEC) {
      return map_error(sym->name, "map type is not specified");
    }
    md.section_index = sec.index;
    md.offset = sym->value;
    md.size = def_size;
    maps.push_back(std::move(md));
  }
  return maps;
}

// True if the section's DATASEC has a non-static variable (libbpf then makes the map mmapable).
bool has_global_var(const struct btf* btf, int32_t datasec_id) {
  const btf_type* t = datasec_id > 0 ? type_by_id(btf, static_cast<uint32_t>(datasec_id)) : nullptr;
  if (t == nullptr || !btf_is_datasec(t)) {
    return false;
  }
  const btf_var_secinfo* vars = btf_var_secinfos(t);
  for (uint16_t i = 0; i < btf_vlen(t); ++i) {
    const btf_type* var = type_by_id(btf, vars[i].type);
    if (var != nullptr && btf_is_var(var) && btf_var(var)->linkage != BTF_VAR_STATIC) {
      return true;
    }
  }
  return false;
}

Result<MapDefinition> data_map(const ElfSection& sec, MapOrigin origin, const struct btf* btf) {
  if (sec.size > kMaxGlobalDataSize) {
    return make_error(ErrorCode::kResourceExhausted,
                      fmt::format("section '{}': {} bytes of global data exceed the limit of {} bytes", sec.name,
                                  sec.size, kMaxGlobalDataSize));
  }
  MapDefinition md;
  ObjectMap& spec = md.spec;
  spec.name = sec.name;
  spec.section = sec.name;
  spec.origin = origin;
  spec.type = BPF_MAP_TYPE_ARRAY;
  spec.key_size = 4;
  spec.value_size = static_cast<uint32_t>(sec.size);
  spec.max_entries = 1;
  spec.read_only = origin == MapOrigin::kRodata;
  spec.flags = spec.read_only ? BPF_F_RDONLY_PROG : 0;
  const int32_t datasec = btf != nullptr ? btf__find_by_name_kind(btf, sec.name.c_str(), BTF_KIND_DATASEC) : -1;
  if (datasec > 0) {
    spec.btf_value_type_id = static_cast<uint32_t>(datasec);
  }
  if (has_global_var(btf, datasec)) {
    spec.flags |= BPF_F_MMAPABLE;
  }
  spec.initial_value = sec.nobits() ? std::vector<uint8_t>(sec.size, 0) : sec.bytes;
  md.section_index = sec.index;
  md.size = sec.size;
  return md;
}

}  // namespace

bool is_data_section_name(std::string_view name, MapOrigin* origin) {
  auto family = [&](std::string_view base) {
    return name == base || (name.starts_with(base) && name[base.size()] == '.');
  };
  MapOrigin o;
  if (family(".data")) {
    o = MapOrigin::kData;
  } else if (family(".rodata")) {
    o = MapOrigin::kRodata;
  } else if (family(".bss")) {
    o = MapOrigin::kBss;
  } else {
    return false;
  }
  if (origin != nullptr) {
    *origin = o;
  }
  return true;
}

Result<std::vector<MapDefinition>> collect_maps(const ElfFile& elf, const struct btf* btf) {
  std::vector<MapDefinition> maps;
  auto append = [&](Result<std::vector<MapDefinition>> more) -> Status {
    if (!more) {
      return more.take_error();
    }
    for (auto& m : *more) {
      maps.push_back(std::move(m));
    }
    return {};
  };
  if (const ElfSection* sec = elf.find_section("maps"); sec != nullptr) {
    BPFRT_TRY(append(legacy_maps(elf, *sec)));
  }
  if (const ElfSection* sec = elf.find_section(".maps"); sec != nullptr) {
    BPFRT_TRY(append(btf_maps(elf, btf, *sec)));
  }
  for (const ElfSection& sec : elf.sections()) {
    MapOrigin origin;
    if (sec.index == 0 || sec.size == 0 || sec.executable() || !is_data_section_name(sec.name, &origin)) {
      continue;
    }
    const bool matching_type = origin == MapOrigin::kBss ? sec.type == SHT_NOBITS : sec.type == SHT_PROGBITS;
    if (!matching_type) {
      continue;  // libbpf skips e.g. a PROGBITS ".bss"
    }
    auto md = data_map(sec, origin, btf);
    if (!md) {
      return md.take_error();
    }
    maps.push_back(std::move(*md));
  }
  // Names must be unique: programs and the runtime find maps by name.
  for (size_t i = 0; i < maps.size(); ++i) {
    for (size_t j = i + 1; j < maps.size(); ++j) {
      if (maps[i].spec.name == maps[j].spec.name) {
        return map_error(maps[i].spec.name, "defined twice");
      }
    }
  }
  return maps;
}

Result<std::vector<GlobalVariable>> collect_globals(const ElfFile& elf, const struct btf* btf,
                                                    const std::vector<MapDefinition>& maps) {
  std::vector<GlobalVariable> globals;
  for (size_t mi = 0; mi < maps.size(); ++mi) {
    const MapDefinition& md = maps[mi];
    if (!md.spec.is_global_data()) {
      continue;
    }
    const btf_type* datasec = type_by_id(btf, md.spec.btf_value_type_id);
    for (const ElfSymbol& sym : elf.symbols()) {
      if (sym.shndx != md.section_index || sym.type != STT_OBJECT || sym.name.empty()) {
        continue;
      }
      if (sym.value > md.size || sym.size > md.size - sym.value) {
        return make_error(ErrorCode::kInvalidArgument,
                          fmt::format("symbol '{}': {}+{} lies outside section '{}' ({} bytes)", sym.name, sym.value,
                                      sym.size, md.spec.section, md.size));
      }
      GlobalVariable g;
      g.name = sym.name;
      g.map_index = static_cast<uint32_t>(mi);
      g.offset = static_cast<uint32_t>(sym.value);
      g.size = static_cast<uint32_t>(sym.size);
      g.is_static = sym.bind == STB_LOCAL;
      if (datasec != nullptr && btf_is_datasec(datasec)) {
        const btf_var_secinfo* vars = btf_var_secinfos(datasec);
        for (uint16_t i = 0; i < btf_vlen(datasec); ++i) {
          const btf_type* var = type_by_id(btf, vars[i].type);
          if (var != nullptr && btf_is_var(var) && name_of(btf, var->name_off) == g.name) {
            g.btf_type_id = var->type;
            break;
          }
        }
      }
      globals.push_back(std::move(g));
    }
  }
  std::stable_sort(globals.begin(), globals.end(), [](const GlobalVariable& a, const GlobalVariable& b) {
    return a.map_index != b.map_index ? a.map_index < b.map_index : a.offset < b.offset;
  });
  return globals;
}

Status collect_init_slots(const ElfFile& elf, std::vector<MapDefinition>& maps,
                          const std::function<int(const ElfSymbol&)>& program_index) {
  const ElfSection* maps_sec = elf.find_section(".maps");
  if (maps_sec == nullptr) {
    return {};
  }
  for (const ElfSection& rel_sec : elf.sections()) {
    if (rel_sec.type != SHT_REL || rel_sec.info != maps_sec->index) {
      continue;
    }
    auto relocs = elf.relocations(rel_sec);
    if (!relocs) {
      return relocs.take_error();
    }
    for (const ElfRelocation& rel : *relocs) {
      const ElfSymbol& sym = elf.symbols()[rel.symbol];
      auto owner = std::find_if(maps.begin(), maps.end(), [&](const MapDefinition& m) {
        return m.section_index == maps_sec->index && m.offset <= rel.offset && rel.offset - m.offset < m.size &&
               m.size - (rel.offset - m.offset) >= 8;
      });
      if (owner == maps.end()) {
        return make_error(ErrorCode::kInvalidArgument,
                          fmt::format("section '{}': relocation at offset {} (symbol '{}') is inside no map",
                                      rel_sec.name, rel.offset, sym.name));
      }
      ObjectMap& spec = owner->spec;
      const uint64_t moff = rel.offset - owner->offset;
      if (owner->values_offset == std::numeric_limits<uint64_t>::max() || moff < owner->values_offset ||
          (moff - owner->values_offset) % 8 != 0) {
        return map_error(spec.name,
                         fmt::format("relocation against '{}' at offset {} is not a 'values' slot", sym.name, moff));
      }
      const uint64_t index = (moff - owner->values_offset) / 8;
      if (index >= spec.max_entries) {
        return map_error(spec.name,
                         fmt::format(".values[{}] = '{}' is beyond max_entries {}", index, sym.name, spec.max_entries));
      }
      MapInitSlot slot;
      slot.index = static_cast<uint32_t>(index);
      slot.target = sym.name;
      if (is_map_in_map(spec.type)) {
        auto target = std::find_if(maps.begin(), maps.end(), [&](const MapDefinition& m) {
          return m.section_index == maps_sec->index && m.spec.name == sym.name;
        });
        if (sym.shndx != maps_sec->index || target == maps.end()) {
          return map_error(spec.name, fmt::format(".values[{}]: '{}' is not a BTF-defined map", index, sym.name));
        }
        slot.target_index = static_cast<uint32_t>(target - maps.begin());
      } else {
        const int prog = program_index(sym);
        if (prog < 0) {
          return map_error(spec.name, fmt::format(".values[{}]: '{}' is not an entry-point program", index, sym.name));
        }
        slot.target_index = static_cast<uint32_t>(prog);
      }
      spec.init_slots.push_back(std::move(slot));
    }
  }
  for (auto& md : maps) {
    std::sort(md.spec.init_slots.begin(), md.spec.init_slots.end(),
              [](const MapInitSlot& a, const MapInitSlot& b) { return a.index < b.index; });
  }
  return {};
}

}  // namespace bpfrt::object
