#include "object/core_relo.hpp"

#include <cerrno>
#include <climits>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>

#include <fmt/format.h>

namespace bpfrt::object {
namespace {

constexpr size_t kMaxSpecLen = 64;  // BPF_CORE_SPEC_MAX_LEN
constexpr int kMaxMatchLevel = 32;

// One step of an access: a named member (name set) or an array index (name empty).
struct Accessor {
  uint32_t type_id = 0;
  uint32_t idx = 0;
  std::string_view name;
};

struct Spec {
  const struct btf* btf = nullptr;
  uint32_t root_type_id = 0;
  std::vector<Accessor> acc;  // high level: named fields and array indices
  std::vector<uint32_t> raw;  // low level: one entry per access-string element
  uint64_t bit_offset = 0;
};

bool is_field_based(CoreReloKind k) {
  return k <= CoreReloKind::kFieldRShiftU64;
}
bool is_type_based(CoreReloKind k) {
  return k == CoreReloKind::kTypeIdLocal || k == CoreReloKind::kTypeIdTarget || k == CoreReloKind::kTypeExists ||
         k == CoreReloKind::kTypeSize || k == CoreReloKind::kTypeMatches;
}
bool is_enumval_based(CoreReloKind k) {
  return k == CoreReloKind::kEnumvalExists || k == CoreReloKind::kEnumvalValue;
}

bool kinds_compatible(const btf_type* a, const btf_type* b) {
  return btf_kind(a) == btf_kind(b) || (is_any_enum(a) && is_any_enum(b));
}

std::string_view enumerator_name(const struct btf* btf, const btf_type* t, uint32_t i) {
  return name_of(btf, btf_is_enum(t) ? btf_enum(t)[i].name_off : btf_enum64(t)[i].name_off);
}

bool names_match_essential(std::string_view a, std::string_view b) {
  const size_t la = essential_name_len(a);
  const size_t lb = essential_name_len(b);
  return la == lb && a.substr(0, la) == b.substr(0, lb);
}

// The last member of a struct, declared with zero elements: indexing past its end is allowed.
bool is_flex_array(const struct btf* btf, const Accessor* parent, const struct btf_array* arr) {
  if (parent == nullptr || parent->name.empty() || arr->nelems > 0) {
    return false;
  }
  const btf_type* t = type_by_id(btf, parent->type_id);
  return t != nullptr && parent->idx + 1 == btf_vlen(t);
}

// ---- The local side: parse the access string against the object's BTF.

Result<Spec> parse_spec(const struct btf* btf, uint32_t type_id, CoreReloKind kind, std::string_view access) {
  auto bad = [&](std::string why) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("access '{}': {}", access, why));
  };
  Spec spec;
  spec.btf = btf;
  spec.root_type_id = type_id;
  if (access.empty() || access.front() == ':') {
    return bad("empty or malformed access string");
  }
  if (is_type_based(kind)) {
    if (access != "0") {
      return bad("type relocations take the access string \"0\"");
    }
    return spec;
  }
  size_t pos = 0;
  while (pos < access.size()) {
    if (access[pos] == ':') {
      ++pos;
    }
    uint64_t v = 0;
    size_t digits = 0;
    while (pos < access.size() && access[pos] >= '0' && access[pos] <= '9' && v <= INT32_MAX) {
      v = v * 10 + static_cast<uint64_t>(access[pos] - '0');
      ++pos;
      ++digits;
    }
    if (digits == 0 || v > INT32_MAX || (pos < access.size() && access[pos] != ':')) {
      return bad("not a list of indices separated by ':'");
    }
    if (spec.raw.size() == kMaxSpecLen) {
      return bad("too many levels");
    }
    spec.raw.push_back(static_cast<uint32_t>(v));
  }
  uint32_t id = 0;
  const btf_type* t = skip_mods_and_typedefs(btf, type_id, &id);
  if (t == nullptr) {
    return bad(fmt::format("type id {} does not exist", type_id));
  }
  spec.acc.push_back(Accessor{id, spec.raw[0], {}});
  if (is_enumval_based(kind)) {
    if (!is_any_enum(t) || spec.raw.size() > 1 || spec.raw[0] >= btf_vlen(t)) {
      return bad(fmt::format("not an enumerator of {}", type_display(btf, type_id)));
    }
    spec.acc[0].name = enumerator_name(btf, t, spec.raw[0]);
    return spec;
  }
  auto size = resolve_size(btf, id);
  if (!size) {
    return bad(size.error().message);
  }
  spec.bit_offset = static_cast<uint64_t>(spec.raw[0]) * *size * 8;
  for (size_t i = 1; i < spec.raw.size(); ++i) {
    t = skip_mods_and_typedefs(btf, id, &id);
    if (t == nullptr) {
      return bad(fmt::format("type id {} does not exist", id));
    }
    const uint32_t idx = spec.raw[i];
    if (is_composite(t)) {
      if (idx >= btf_vlen(t)) {
        return bad(fmt::format("{} has no member #{}", type_display(btf, id), idx));
      }
      spec.bit_offset += btf_member_bit_offset(t, idx);
      const btf_member& m = btf_members(t)[idx];
      if (m.name_off != 0) {
        const std::string_view name = name_of(btf, m.name_off);
        if (name.empty()) {
          return bad("member name is not in the string table");
        }
        spec.acc.push_back(Accessor{id, idx, name});
      }
      id = m.type;
    } else if (btf_is_array(t)) {
      const struct btf_array* arr = btf_array(t);
      const bool flex = is_flex_array(btf, &spec.acc.back(), arr);
      if (skip_mods_and_typedefs(btf, arr->type, &id) == nullptr) {
        return bad("array element type does not exist");
      }
      if (!flex && idx >= arr->nelems) {
        return bad(fmt::format("index {} is beyond the array's {} elements", idx, arr->nelems));
      }
      spec.acc.push_back(Accessor{id, idx, {}});
      auto elem = resolve_size(btf, id);
      if (!elem) {
        return bad(elem.error().message);
      }
      spec.bit_offset += static_cast<uint64_t>(idx) * *elem * 8;
    } else {
      return bad(fmt::format("step {} goes into {}, which is neither a struct, a union nor an array", i,
                             type_display(btf, id)));
    }
  }
  return spec;
}

// "task_struct.pid", "sk_buff.cb[2]", "bpf_map_type::BPF_MAP_TYPE_ARRAY".
std::string format_spec(const Spec& spec, CoreReloKind kind) {
  const btf_type* root = type_by_id(spec.btf, spec.root_type_id);
  std::string out(root != nullptr ? name_of(spec.btf, root->name_off) : "?");
  if (is_type_based(kind) || spec.acc.empty()) {
    return out;
  }
  if (is_enumval_based(kind)) {
    return fmt::format("{}::{}", out, spec.acc[0].name);
  }
  if (spec.acc[0].idx != 0) {
    out += fmt::format("[{}]", spec.acc[0].idx);
  }
  for (size_t i = 1; i < spec.acc.size(); ++i) {
    out += spec.acc[i].name.empty() ? fmt::format("[{}]", spec.acc[i].idx) : fmt::format(".{}", spec.acc[i].name);
  }
  return out;
}

// ---- Matching against the target.

// Field types that a relocated access may move between (libbpf's bpf_core_fields_are_compat).
Result<bool> fields_compatible(const struct btf* lb, uint32_t lid, const struct btf* tb, uint32_t tid) {
  for (int depth = 0; depth < kMaxMatchLevel; ++depth) {
    const btf_type* lt = skip_mods_and_typedefs(lb, lid, &lid);
    const btf_type* tt = skip_mods_and_typedefs(tb, tid, &tid);
    if (lt == nullptr || tt == nullptr) {
      return make_error(ErrorCode::kInvalidArgument, "field type chain is broken");
    }
    if (is_composite(lt) && is_composite(tt)) {
      return true;
    }
    if (!kinds_compatible(lt, tt)) {
      return false;
    }
    switch (btf_kind(lt)) {
      case BTF_KIND_PTR:
      case BTF_KIND_FLOAT:
        return true;
      case BTF_KIND_FWD:
      case BTF_KIND_ENUM:
      case BTF_KIND_ENUM64: {
        const std::string_view ln = name_of(lb, lt->name_off);
        const std::string_view tn = name_of(tb, tt->name_off);
        return essential_name_len(ln) == 0 || essential_name_len(tn) == 0 || names_match_essential(ln, tn);
      }
      case BTF_KIND_INT:
        return btf_int_offset(lt) == 0 && btf_int_offset(tt) == 0;
      case BTF_KIND_ARRAY:
        lid = btf_array(lt)->type;
        tid = btf_array(tt)->type;
        continue;
      default:
        return false;
    }
  }
  return make_error(ErrorCode::kInvalidArgument, "field types nest too deeply");
}

// Types compatible for TYPE_EXISTS / TYPE_SIZE / TYPE_ID_TARGET (libbpf's bpf_core_types_are_compat).
Result<bool> types_compatible(const struct btf* lb, uint32_t lid, const struct btf* tb, uint32_t tid, int level) {
  const btf_type* lt = type_by_id(lb, lid);
  const btf_type* tt = type_by_id(tb, tid);
  if (lt == nullptr || tt == nullptr) {
    return make_error(ErrorCode::kInvalidArgument, "type id out of range");
  }
  if (!kinds_compatible(lt, tt)) {
    return false;
  }
  for (int depth = 0; depth < kMaxMatchLevel; ++depth) {
    lt = skip_mods_and_typedefs(lb, lid, &lid);
    tt = skip_mods_and_typedefs(tb, tid, &tid);
    if (lt == nullptr || tt == nullptr) {
      return make_error(ErrorCode::kInvalidArgument, "type chain is broken");
    }
    if (!kinds_compatible(lt, tt)) {
      return false;
    }
    switch (btf_kind(lt)) {
      case BTF_KIND_UNKN:
      case BTF_KIND_STRUCT:
      case BTF_KIND_UNION:
      case BTF_KIND_ENUM:
      case BTF_KIND_FWD:
      case BTF_KIND_ENUM64:
        return true;
      case BTF_KIND_INT:
        return btf_int_offset(lt) == 0 && btf_int_offset(tt) == 0;
      case BTF_KIND_PTR:
        lid = lt->type;
        tid = tt->type;
        continue;
      case BTF_KIND_ARRAY:
        lid = btf_array(lt)->type;
        tid = btf_array(tt)->type;
        continue;
      case BTF_KIND_FUNC_PROTO: {
        if (btf_vlen(lt) != btf_vlen(tt)) {
          return false;
        }
        if (level <= 0) {
          return make_error(ErrorCode::kInvalidArgument, "function prototypes nest too deeply");
        }
        for (uint16_t i = 0; i < btf_vlen(lt); ++i) {
          uint32_t la = 0;
          uint32_t ta = 0;
          skip_mods_and_typedefs(lb, btf_params(lt)[i].type, &la);
          skip_mods_and_typedefs(tb, btf_params(tt)[i].type, &ta);
          auto ok = types_compatible(lb, la, tb, ta, level - 1);
          if (!ok || !*ok) {
            return ok;
          }
        }
        skip_mods_and_typedefs(lb, lt->type, &lid);
        skip_mods_and_typedefs(tb, tt->type, &tid);
        continue;
      }
      default:
        return false;
    }
  }
  return make_error(ErrorCode::kInvalidArgument, "types nest too deeply");
}

bool core_names_match(const struct btf* lb, uint32_t loff, const struct btf* tb, uint32_t toff) {
  const std::string_view ln = name_of(lb, loff);
  const std::string_view tn = name_of(tb, toff);
  if (tn.empty()) {
    return ln.empty();
  }
  return names_match_essential(ln, tn);
}

Result<bool> types_match(const struct btf* lb, uint32_t lid, const struct btf* tb, uint32_t tid, bool behind_ptr,
                         int level);

Result<bool> composites_match(const struct btf* lb, const btf_type* lt, const struct btf* tb, const btf_type* tt,
                              bool behind_ptr, int level) {
  if (btf_vlen(lt) > btf_vlen(tt)) {
    return false;
  }
  for (uint16_t i = 0; i < btf_vlen(lt); ++i) {
    const btf_member& lm = btf_members(lt)[i];
    bool matched = false;
    for (uint16_t j = 0; j < btf_vlen(tt) && !matched; ++j) {
      const btf_member& tm = btf_members(tt)[j];
      if (!core_names_match(lb, lm.name_off, tb, tm.name_off)) {
        continue;
      }
      auto ok = types_match(lb, lm.type, tb, tm.type, behind_ptr, level - 1);
      if (!ok) {
        return ok;
      }
      matched = *ok;
    }
    if (!matched) {
      return false;
    }
  }
  return true;
}

bool enums_match(const struct btf* lb, const btf_type* lt, const struct btf* tb, const btf_type* tt) {
  if (lt->size != tt->size || btf_vlen(lt) > btf_vlen(tt)) {
    return false;
  }
  for (uint16_t i = 0; i < btf_vlen(lt); ++i) {
    const uint32_t loff = btf_is_enum(lt) ? btf_enum(lt)[i].name_off : btf_enum64(lt)[i].name_off;
    bool matched = false;
    for (uint16_t j = 0; j < btf_vlen(tt) && !matched; ++j) {
      const uint32_t toff = btf_is_enum(tt) ? btf_enum(tt)[j].name_off : btf_enum64(tt)[j].name_off;
      matched = core_names_match(lb, loff, tb, toff);
    }
    if (!matched) {
      return false;
    }
  }
  return true;
}

// TYPE_MATCHES (libbpf's bpf_core_types_match).
Result<bool> types_match(const struct btf* lb, uint32_t lid, const struct btf* tb, uint32_t tid, bool behind_ptr,
                         int level) {
  if (level <= 0) {
    return make_error(ErrorCode::kInvalidArgument, "types nest too deeply");
  }
  for (int depth = 0; depth < kMaxMatchLevel; ++depth) {
    const btf_type* lt = skip_mods_and_typedefs(lb, lid, &lid);
    const btf_type* tt = skip_mods_and_typedefs(tb, tid, &tid);
    if (lt == nullptr || tt == nullptr) {
      return make_error(ErrorCode::kInvalidArgument, "type chain is broken");
    }
    if (!core_names_match(lb, lt->name_off, tb, tt->name_off)) {
      return false;
    }
    const uint32_t lk = btf_kind(lt);
    const uint32_t tk = btf_kind(tt);
    switch (lk) {
      case BTF_KIND_UNKN:
        return lk == tk;
      case BTF_KIND_FWD: {
        const bool lf = btf_kflag(lt);
        if (lk == tk) {
          return lf == btf_kflag(tt);
        }
        return behind_ptr && ((tk == BTF_KIND_STRUCT && !lf) || (tk == BTF_KIND_UNION && lf));
      }
      case BTF_KIND_ENUM:
      case BTF_KIND_ENUM64:
        return is_any_enum(tt) && enums_match(lb, lt, tb, tt);
      case BTF_KIND_STRUCT:
      case BTF_KIND_UNION:
        if (behind_ptr) {
          if (lk == tk) {
            return true;
          }
          return tk == BTF_KIND_FWD && (lk == BTF_KIND_UNION) == btf_kflag(tt);
        }
        if (lk != tk) {
          return false;
        }
        return composites_match(lb, lt, tb, tt, behind_ptr, level);
      case BTF_KIND_INT:
        return lk == tk && lt->size == tt->size &&
               (btf_int_encoding(lt) & BTF_INT_SIGNED) == (btf_int_encoding(tt) & BTF_INT_SIGNED);
      case BTF_KIND_PTR:
        if (lk != tk) {
          return false;
        }
        behind_ptr = true;
        lid = lt->type;
        tid = tt->type;
        continue;
      case BTF_KIND_ARRAY:
        if (lk != tk || btf_array(lt)->nelems != btf_array(tt)->nelems) {
          return false;
        }
        lid = btf_array(lt)->type;
        tid = btf_array(tt)->type;
        continue;
      case BTF_KIND_FUNC_PROTO: {
        if (lk != tk || btf_vlen(lt) != btf_vlen(tt)) {
          return false;
        }
        for (uint16_t i = 0; i < btf_vlen(lt); ++i) {
          auto ok = types_match(lb, btf_params(lt)[i].type, tb, btf_params(tt)[i].type, behind_ptr, level - 1);
          if (!ok || !*ok) {
            return ok;
          }
        }
        lid = lt->type;
        tid = tt->type;
        continue;
      }
      default:
        return false;
    }
  }
  return make_error(ErrorCode::kInvalidArgument, "types nest too deeply");
}

// Finds the member named like `local` in target composite `tid`, descending into anonymous members.
// Extends `out` (raw indices, bit offset, accessors) on success.
Result<bool> match_member(const Spec& local, const Accessor& lacc, const struct btf* tb, uint32_t tid, Spec& out,
                          uint32_t* next_tid, int level) {
  if (level <= 0) {
    return make_error(ErrorCode::kInvalidArgument, "anonymous members nest too deeply");
  }
  const btf_type* tt = skip_mods_and_typedefs(tb, tid, &tid);
  if (tt == nullptr) {
    return make_error(ErrorCode::kInvalidArgument, "target type chain is broken");
  }
  if (!is_composite(tt)) {
    return false;
  }
  const btf_type* lt = type_by_id(local.btf, lacc.type_id);
  const btf_member& lm = btf_members(lt)[lacc.idx];
  for (uint16_t i = 0; i < btf_vlen(tt); ++i) {
    if (out.raw.size() == kMaxSpecLen) {
      return make_error(ErrorCode::kInvalidArgument, "target access nests too deeply");
    }
    const btf_member& m = btf_members(tt)[i];
    const uint32_t bit_off = btf_member_bit_offset(tt, i);
    out.bit_offset += bit_off;
    out.raw.push_back(i);
    const std::string_view tname = name_of(tb, m.name_off);
    if (tname.empty()) {
      auto found = match_member(local, lacc, tb, m.type, out, next_tid, level - 1);
      if (!found || *found) {
        return found;
      }
    } else if (tname == lacc.name) {
      *next_tid = m.type;
      auto compat = fields_compatible(local.btf, lm.type, tb, m.type);
      if (compat && *compat) {
        out.acc.push_back(Accessor{tid, i, tname});
      }
      return compat;
    }
    out.bit_offset -= bit_off;
    out.raw.pop_back();
  }
  return false;
}

// Builds the target spec for candidate `tid`; false if it does not match.
Result<bool> spec_match(const Spec& local, CoreReloKind kind, const struct btf* tb, uint32_t tid, Spec& out) {
  out = Spec{};
  out.btf = tb;
  out.root_type_id = tid;
  if (is_type_based(kind)) {
    if (kind == CoreReloKind::kTypeMatches) {
      return types_match(local.btf, local.root_type_id, tb, tid, false, kMaxMatchLevel);
    }
    return types_compatible(local.btf, local.root_type_id, tb, tid, kMaxMatchLevel);
  }
  if (is_enumval_based(kind)) {
    const btf_type* tt = skip_mods_and_typedefs(tb, tid, &tid);
    if (!is_any_enum(tt)) {
      return false;
    }
    for (uint16_t i = 0; i < btf_vlen(tt); ++i) {
      if (names_match_essential(local.acc[0].name, enumerator_name(tb, tt, i))) {
        out.acc.push_back(Accessor{tid, i, enumerator_name(tb, tt, i)});
        out.raw.push_back(i);
        return true;
      }
    }
    return false;
  }
  for (size_t i = 0; i < local.acc.size(); ++i) {
    const Accessor& lacc = local.acc[i];
    const btf_type* tt = skip_mods_and_typedefs(tb, tid, &tid);
    if (tt == nullptr) {
      return make_error(ErrorCode::kInvalidArgument, "target type chain is broken");
    }
    if (!lacc.name.empty()) {
      auto matched = match_member(local, lacc, tb, tid, out, &tid, kMaxMatchLevel);
      if (!matched || !*matched) {
        return matched;
      }
      continue;
    }
    if (i > 0) {
      if (!btf_is_array(tt)) {
        return false;
      }
      const struct btf_array* arr = btf_array(tt);
      const bool flex = is_flex_array(tb, &out.acc.back(), arr);
      if (!flex && lacc.idx >= arr->nelems) {
        return false;
      }
      if (skip_mods_and_typedefs(tb, arr->type, &tid) == nullptr) {
        return make_error(ErrorCode::kInvalidArgument, "target array element type does not exist");
      }
    }
    if (out.raw.size() == kMaxSpecLen) {
      return make_error(ErrorCode::kInvalidArgument, "target access nests too deeply");
    }
    out.acc.push_back(Accessor{tid, lacc.idx, {}});
    out.raw.push_back(lacc.idx);
    auto size = resolve_size(tb, tid);
    if (!size) {
      return size.take_error();
    }
    out.bit_offset += static_cast<uint64_t>(lacc.idx) * *size * 8;
  }
  return true;
}

// ---- Values.

struct ReloValue {
  uint64_t orig = 0;
  uint64_t value = 0;
  bool poison = false;
  bool validate = true;
  bool fail_memsz_adjust = false;
  uint32_t orig_sz = 0;
  uint32_t new_sz = 0;
  uint32_t orig_type_id = 0;
  uint32_t new_type_id = 0;
};

struct FieldValue {
  uint64_t value = 0;
  uint32_t field_sz = 0;  // for byte offsets of non-bitfields: the load size to use
  uint32_t type_id = 0;
  bool validate = true;
};

// nullopt: poison (no target). Errors for relocations that cannot apply to this access.
Result<std::optional<FieldValue>> field_value(CoreReloKind kind, const Spec* spec) {
  FieldValue out;
  if (kind == CoreReloKind::kFieldExists) {
    out.value = spec != nullptr ? 1 : 0;
    return std::optional<FieldValue>(out);
  }
  if (spec == nullptr) {
    return std::optional<FieldValue>();
  }
  const Accessor& acc = spec->acc.back();
  if (acc.name.empty()) {  // a[n]
    auto size = resolve_size(spec->btf, acc.type_id);
    if (!size) {
      return size.take_error();
    }
    if (kind == CoreReloKind::kFieldByteOffset) {
      out.value = spec->bit_offset / 8;
      out.field_sz = *size;
      out.type_id = acc.type_id;
    } else if (kind == CoreReloKind::kFieldByteSize) {
      out.value = *size;
    } else {
      return make_error(ErrorCode::kInvalidArgument, "this relocation kind cannot apply to an array element");
    }
    return std::optional<FieldValue>(out);
  }
  const btf_type* parent = type_by_id(spec->btf, acc.type_id);
  const btf_member& m = btf_members(parent)[acc.idx];
  uint32_t field_type_id = 0;
  const btf_type* mt = skip_mods_and_typedefs(spec->btf, m.type, &field_type_id);
  if (mt == nullptr) {
    return make_error(ErrorCode::kInvalidArgument, "field type does not exist");
  }
  const uint64_t bit_off = spec->bit_offset;
  uint32_t bit_sz = btf_member_bitfield_size(parent, acc.idx);
  const bool bitfield = bit_sz > 0;
  uint64_t byte_off = 0;
  uint32_t byte_sz = 0;
  if (bitfield) {
    byte_sz = mt->size;
    if (byte_sz == 0) {
      return make_error(ErrorCode::kInvalidArgument, "bitfield of a zero-sized type");
    }
    byte_off = bit_off / 8 / byte_sz * byte_sz;
    while (bit_off + bit_sz - byte_off * 8 > byte_sz * 8) {
      if (byte_sz >= 8) {
        return make_error(ErrorCode::kInvalidArgument, "bitfield cannot be read with a 64-bit load");
      }
      byte_sz *= 2;
      byte_off = bit_off / 8 / byte_sz * byte_sz;
    }
  } else {
    auto size = resolve_size(spec->btf, field_type_id);
    if (!size) {
      return size.take_error();
    }
    byte_sz = *size;
    byte_off = bit_off / 8;
    bit_sz = byte_sz * 8;
  }
  out.validate = !bitfield;
  switch (kind) {
    case CoreReloKind::kFieldByteOffset:
      out.value = byte_off;
      if (!bitfield) {
        out.field_sz = byte_sz;
        out.type_id = field_type_id;
      }
      break;
    case CoreReloKind::kFieldByteSize:
      out.value = byte_sz;
      break;
    case CoreReloKind::kFieldSigned:
      out.value = (is_any_enum(mt) && btf_kflag(mt)) || (btf_is_int(mt) && (btf_int_encoding(mt) & BTF_INT_SIGNED));
      out.validate = true;
      break;
    case CoreReloKind::kFieldLShiftU64:
      out.value = 64 - (bit_off + bit_sz - byte_off * 8);
      break;
    case CoreReloKind::kFieldRShiftU64:
      out.value = 64 - bit_sz;
      out.validate = true;
      break;
    default:
      return make_error(ErrorCode::kInvalidArgument, "not a field relocation");
  }
  return std::optional<FieldValue>(out);
}

Result<ReloValue> compute(CoreReloKind kind, const Spec& local, const Spec* target) {
  ReloValue r;
  if (is_field_based(kind)) {
    auto lv = field_value(kind, &local);
    if (!lv) {
      return lv.take_error();
    }
    if (!*lv) {
      return make_error(ErrorCode::kInvalidArgument, "the local access does not resolve");
    }
    auto tv = field_value(kind, target);
    if (!tv) {
      return tv.take_error();
    }
    r.orig = (*lv)->value;
    r.validate = (*lv)->validate;
    r.orig_sz = (*lv)->field_sz;
    r.orig_type_id = (*lv)->type_id;
    if (!*tv) {
      r.poison = true;
      return r;
    }
    r.value = (*tv)->value;
    r.new_sz = (*tv)->field_sz;
    r.new_type_id = (*tv)->type_id;
    if (r.orig_sz != r.new_sz) {
      // Only pointers and unsigned integers keep their value when the load size changes.
      const btf_type* ot = type_by_id(local.btf, r.orig_type_id);
      const btf_type* nt = type_by_id(target->btf, r.new_type_id);
      const bool ptrs = ot != nullptr && nt != nullptr && btf_is_ptr(ot) && btf_is_ptr(nt);
      const bool uints = ot != nullptr && nt != nullptr && btf_is_int(ot) && btf_is_int(nt) &&
                         !(btf_int_encoding(ot) & BTF_INT_SIGNED) && !(btf_int_encoding(nt) & BTF_INT_SIGNED);
      r.fail_memsz_adjust = !ptrs && !uints;
    }
    return r;
  }
  if (is_type_based(kind)) {
    auto type_value = [&](const Spec* s) -> Result<uint64_t> {
      if (s == nullptr) {
        return uint64_t{0};
      }
      switch (kind) {
        case CoreReloKind::kTypeIdTarget:
        case CoreReloKind::kTypeIdLocal:
          return uint64_t{s->root_type_id};
        case CoreReloKind::kTypeExists:
        case CoreReloKind::kTypeMatches:
          return uint64_t{1};
        case CoreReloKind::kTypeSize: {
          auto size = resolve_size(s->btf, s->root_type_id);
          if (!size) {
            return size.take_error();
          }
          return uint64_t{*size};
        }
        default:
          return make_error(ErrorCode::kInvalidArgument, "not a type relocation");
      }
    };
    auto orig = type_value(&local);
    auto value = type_value(target);
    if (!orig || !value) {
      return !orig ? orig.take_error() : value.take_error();
    }
    r.orig = *orig;
    r.value = *value;
    // The type id in the instruction may have changed during linking: do not insist on it.
    r.validate = kind != CoreReloKind::kTypeIdTarget;
    return r;
  }
  auto enum_value = [&](const Spec* s) -> std::optional<uint64_t> {
    if (kind == CoreReloKind::kEnumvalExists) {
      return s != nullptr ? 1 : 0;
    }
    if (s == nullptr) {
      return std::nullopt;
    }
    const btf_type* t = type_by_id(s->btf, s->acc[0].type_id);
    const uint32_t i = s->acc[0].idx;
    return btf_is_enum(t) ? static_cast<uint64_t>(static_cast<uint32_t>(btf_enum(t)[i].val))
                          : btf_enum64_value(btf_enum64(t) + i);
  };
  r.orig = enum_value(&local).value_or(0);
  const auto value = enum_value(target);
  r.poison = !value.has_value();
  r.value = value.value_or(0);
  return r;
}

// ---- Patching.

Instruction poison_insn() {
  Instruction insn;
  insn.opcode = 0x85;  // call
  insn.imm = kCorePoisonHelperId;
  return insn;
}

uint32_t mem_size_bytes(uint8_t opcode) {
  switch (opcode & 0x18) {
    case 0x18:
      return 8;
    case 0x00:
      return 4;
    case 0x08:
      return 2;
    default:
      return 1;
  }
}

uint8_t mem_size_bits(uint32_t bytes) {
  switch (bytes) {
    case 8:
      return 0x18;
    case 4:
      return 0x00;
    case 2:
      return 0x08;
    default:
      return 0x10;
  }
}

// Returns true if the instruction was poisoned.
Result<bool> patch(std::vector<Instruction>& insns, size_t index, const ReloValue& r) {
  Instruction& insn = insns[index];
  const bool is_lddw = insn.opcode == 0x18;
  auto poison = [&]() {
    if (is_lddw && index + 1 < insns.size()) {
      insns[index + 1] = poison_insn();
    }
    insn = poison_insn();
    return true;
  };
  if (r.poison) {
    return poison();
  }
  auto unexpected = [&](const char* what, uint64_t got) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("{} is {}, but the local BTF says {} (object and BTF disagree)", what, got, r.orig));
  };
  switch (insn.opcode & 0x07) {
    case 0x04:  // ALU
    case 0x07:  // ALU64
      if ((insn.opcode & 0x08) != 0) {
        return make_error(ErrorCode::kInvalidArgument, "ALU instruction with a register operand cannot be relocated");
      }
      if (r.validate && static_cast<uint64_t>(static_cast<uint32_t>(insn.imm)) != (r.orig & 0xffffffffu)) {
        return unexpected("the immediate", static_cast<uint32_t>(insn.imm));
      }
      insn.imm = static_cast<int32_t>(r.value);
      return false;
    case 0x01:  // LDX
    case 0x02:  // ST
    case 0x03:  // STX
      if (r.validate && static_cast<uint64_t>(static_cast<int64_t>(insn.offset)) != r.orig) {
        return unexpected("the offset", static_cast<uint64_t>(insn.offset));
      }
      if (r.value > SHRT_MAX) {
        return make_error(ErrorCode::kInvalidArgument,
                          fmt::format("offset {} does not fit a load/store instruction", r.value));
      }
      if (r.fail_memsz_adjust) {
        return poison();  // libbpf: the field changed size and is neither a pointer nor unsigned
      }
      insn.offset = static_cast<int16_t>(r.value);
      if (r.new_sz != r.orig_sz) {
        if (mem_size_bytes(insn.opcode) != r.orig_sz) {
          return make_error(ErrorCode::kInvalidArgument, fmt::format("access size {} differs from the field size {}",
                                                                     mem_size_bytes(insn.opcode), r.orig_sz));
        }
        if (r.new_sz != 1 && r.new_sz != 2 && r.new_sz != 4 && r.new_sz != 8) {
          return make_error(ErrorCode::kInvalidArgument,
                            fmt::format("the target field size {} cannot be loaded", r.new_sz));
        }
        insn.opcode = static_cast<uint8_t>((insn.opcode & ~0x18) | mem_size_bits(r.new_sz));
      }
      return false;
    case 0x00: {  // LD: only lddw imm64
      if (!is_lddw || insn.src != 0 || insn.offset != 0 || index + 1 >= insns.size() || insns[index + 1].opcode != 0 ||
          insns[index + 1].dst != 0 || insns[index + 1].src != 0 || insns[index + 1].offset != 0) {
        return make_error(ErrorCode::kInvalidArgument, "lddw has an unexpected form");
      }
      const uint64_t imm =
          static_cast<uint32_t>(insn.imm) | (static_cast<uint64_t>(static_cast<uint32_t>(insns[index + 1].imm)) << 32);
      if (r.validate && imm != r.orig) {
        return unexpected("the 64-bit immediate", imm);
      }
      insn.imm = static_cast<int32_t>(static_cast<uint32_t>(r.value));
      insns[index + 1].imm = static_cast<int32_t>(static_cast<uint32_t>(r.value >> 32));
      return false;
    }
    default:
      return make_error(ErrorCode::kInvalidArgument, fmt::format("opcode 0x{:02x} cannot be relocated", insn.opcode));
  }
}

std::mutex g_vmlinux_mutex;
std::shared_ptr<const TargetBtf> g_vmlinux;

}  // namespace

TargetBtf::TargetBtf(BtfPtr btf, std::string description) : btf_(std::move(btf)), description_(std::move(description)) {
  const uint32_t n = btf__type_cnt(btf_.get());
  for (uint32_t id = 1; id < n; ++id) {
    const btf_type* t = btf__type_by_id(btf_.get(), id);
    const std::string_view name = name_of(btf_.get(), t->name_off);
    if (!name.empty()) {
      by_name_[name.substr(0, essential_name_len(name))].push_back(id);
    }
  }
}

const std::vector<uint32_t>* TargetBtf::candidates(std::string_view essential) const {
  auto it = by_name_.find(essential);
  return it == by_name_.end() ? nullptr : &it->second;
}

Result<std::shared_ptr<const TargetBtf>> TargetBtf::load(const std::string& path) {
  if (!path.empty()) {
    errno = 0;
    struct btf* btf = btf__parse(path.c_str(), nullptr);
    if (btf == nullptr) {
      return make_error(ErrorCode::kInvalidArgument, fmt::format("target BTF '{}': cannot parse: {}", path,
                                                                 std::strerror(errno != 0 ? errno : EINVAL)));
    }
    return std::shared_ptr<const TargetBtf>(new TargetBtf(BtfPtr(btf), path));
  }
  std::lock_guard lock(g_vmlinux_mutex);
  if (g_vmlinux) {
    return g_vmlinux;
  }
  errno = 0;
  struct btf* btf = btf__load_vmlinux_btf();
  if (btf == nullptr) {
    return make_error(ErrorCode::kNotFound,
                      fmt::format("the running kernel's BTF (/sys/kernel/btf/vmlinux) cannot be read: {}; CO-RE "
                                  "relocations need it, or a target BTF file",
                                  std::strerror(errno != 0 ? errno : ENOENT)));
  }
  g_vmlinux.reset(new TargetBtf(BtfPtr(btf), "/sys/kernel/btf/vmlinux"));
  return g_vmlinux;
}

Result<CoreRelocation> apply_core_relocation(const CoreContext& ctx, const CoreReloRecord& record,
                                             std::vector<Instruction>& insns, size_t index) {
  CoreRelocation out;
  out.insn = index;
  out.kind = static_cast<CoreReloKind>(record.kind);
  out.access = std::string(name_of(ctx.local, record.access_str_off));
  out.type_name = type_display(ctx.local, record.type_id);
  auto fail = [&](const std::string& why) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("program '{}': instruction {}: CO-RE relocation {} of {} (access '{}'): {}",
                                  ctx.program, index, core_relo_kind_name(out.kind), out.type_name, out.access, why),
                      index);
  };
  if (record.kind > static_cast<uint32_t>(CoreReloKind::kTypeMatches)) {
    return fail(fmt::format("unknown relocation kind {}", record.kind));
  }
  const btf_type* local_type = type_by_id(ctx.local, record.type_id);
  if (local_type == nullptr || record.type_id == 0) {
    return fail(fmt::format("local type id {} does not exist", record.type_id));
  }
  auto local = parse_spec(ctx.local, record.type_id, out.kind, out.access);
  if (!local) {
    return fail(local.error().message);
  }
  out.spec = format_spec(*local, out.kind);
  std::optional<Spec> chosen;
  ReloValue result;
  if (out.kind == CoreReloKind::kTypeIdLocal) {
    result.orig = result.value = record.type_id;
    result.validate = false;
  } else {
    const std::string_view local_name = name_of(ctx.local, local_type->name_off);
    if (local_name.empty()) {
      return fail("relocations against anonymous types are not supported");
    }
    if (ctx.target == nullptr) {
      return fail("no target BTF");
    }
    const auto* cands = ctx.target->candidates(local_name.substr(0, essential_name_len(local_name)));
    Spec cand;
    for (size_t i = 0; cands != nullptr && i < cands->size(); ++i) {
      const uint32_t tid = (*cands)[i];
      const btf_type* tt = type_by_id(ctx.target->btf(), tid);
      if (tt == nullptr || !kinds_compatible(local_type, tt)) {
        continue;
      }
      auto matched = spec_match(*local, out.kind, ctx.target->btf(), tid, cand);
      if (!matched) {
        return fail(fmt::format("matching target type [{}]: {}", tid, matched.error().message));
      }
      if (!*matched) {
        continue;
      }
      auto value = compute(out.kind, *local, &cand);
      if (!value) {
        return fail(value.error().message);
      }
      if (!chosen) {
        chosen = cand;
        result = *value;
      } else if (cand.bit_offset != chosen->bit_offset) {
        return fail(fmt::format("ambiguous: target types [{}] and [{}] give field offsets {} and {} bits",
                                chosen->root_type_id, tid, chosen->bit_offset, cand.bit_offset));
      } else if (value->poison != result.poison || value->value != result.value) {
        return fail(fmt::format("ambiguous: target types [{}] and [{}] give {} and {}", chosen->root_type_id, tid,
                                result.value, value->value));
      }
    }
    if (!chosen) {
      auto value = compute(out.kind, *local, nullptr);
      if (!value) {
        return fail(value.error().message);
      }
      result = *value;
    }
  }
  if (result.poison && ctx.strict) {
    return fail(fmt::format("not found in the target BTF ({})", ctx.target->description()));
  }
  auto poisoned = patch(insns, index, result);
  if (!poisoned) {
    return fail(poisoned.error().message);
  }
  out.local_value = result.orig;
  out.target_value = result.value;
  out.poisoned = *poisoned;
  out.target_type_id = chosen ? chosen->root_type_id : 0;
  if (out.poisoned) {
    out.note = result.poison ? fmt::format("no match in {}", ctx.target->description())
                             : "the field changed size and is neither a pointer nor an unsigned integer";
    out.target_value = 0;
  }
  return out;
}

}  // namespace bpfrt::object
