#include "object/btf_util.hpp"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace bpfrt::object {
namespace {

constexpr int kMaxResolveDepth = 32;

Error btf_error(std::string what) {
  return make_error(ErrorCode::kInvalidArgument, std::move(what));
}

template <class T>
T read_at(std::span<const uint8_t> bytes, size_t off) {
  T v;
  std::memcpy(&v, bytes.data() + off, sizeof(T));
  return v;
}

// One info block of .BTF.ext: u32 record size, then {u32 section name, u32 count, records...}*.
template <class Record>
Status parse_info_block(std::span<const uint8_t> block, const struct btf* btf, const char* what,
                        std::map<std::string, std::vector<Record>, std::less<>>& out) {
  if (block.empty()) {
    return {};
  }
  if (block.size() < 4) {
    return btf_error(fmt::format(".BTF.ext {}: {} bytes, too short for the record size", what, block.size()));
  }
  const uint32_t rec_size = read_at<uint32_t>(block, 0);
  if (rec_size < sizeof(Record) || rec_size % 4 != 0 || rec_size > 1024) {
    return btf_error(
        fmt::format(".BTF.ext {}: record size {} is invalid (at least {})", what, rec_size, sizeof(Record)));
  }
  size_t off = 4;
  while (off < block.size()) {
    if (block.size() - off < 8) {
      return btf_error(fmt::format(".BTF.ext {}: truncated section header at byte {}", what, off));
    }
    const uint32_t name_off = read_at<uint32_t>(block, off);
    const uint32_t count = read_at<uint32_t>(block, off + 4);
    off += 8;
    const char* name = btf__name_by_offset(btf, name_off);
    if (name == nullptr || *name == '\0') {
      return btf_error(fmt::format(".BTF.ext {}: section name offset {} is not a string of .BTF", what, name_off));
    }
    if (count == 0 || static_cast<uint64_t>(count) * rec_size > block.size() - off) {
      return btf_error(
          fmt::format(".BTF.ext {} for section '{}': {} records of {} bytes do not fit", what, name, count, rec_size));
    }
    auto& records = out[name];
    for (uint32_t i = 0; i < count; ++i) {
      records.push_back(read_at<Record>(block, off));
      off += rec_size;
    }
  }
  return {};
}

}  // namespace

Result<BtfPtr> parse_btf(std::span<const uint8_t> bytes, std::string_view what) {
  if (bytes.size() < sizeof(struct btf_header)) {
    return btf_error(fmt::format("{}: {} bytes, too short for a BTF header", what, bytes.size()));
  }
  const auto hdr = read_at<struct btf_header>(bytes, 0);
  if (hdr.magic != BTF_MAGIC) {
    return btf_error(fmt::format("{}: bad magic 0x{:04x} (expected 0x{:04x})", what, hdr.magic, BTF_MAGIC));
  }
  if (hdr.hdr_len < sizeof(struct btf_header) || hdr.hdr_len > bytes.size()) {
    return btf_error(fmt::format("{}: header length {} is invalid", what, hdr.hdr_len));
  }
  errno = 0;
  struct btf* btf = btf__new(bytes.data(), static_cast<uint32_t>(bytes.size()));
  if (btf == nullptr) {
    return btf_error(fmt::format("{}: malformed BTF ({})", what, std::strerror(errno != 0 ? errno : EINVAL)));
  }
  return BtfPtr(btf);
}

const btf_type* type_by_id(const struct btf* btf, uint32_t id) {
  if (btf == nullptr || id >= btf__type_cnt(btf)) {
    return nullptr;
  }
  return btf__type_by_id(btf, id);
}

const btf_type* skip_mods_and_typedefs(const struct btf* btf, uint32_t id, uint32_t* res_id) {
  const btf_type* t = type_by_id(btf, id);
  for (int depth = 0; t != nullptr && depth < kMaxResolveDepth; ++depth) {
    if (!btf_is_mod(t) && !btf_is_typedef(t)) {
      if (res_id != nullptr) {
        *res_id = id;
      }
      return t;
    }
    id = t->type;
    t = type_by_id(btf, id);
  }
  return nullptr;
}

std::string_view name_of(const struct btf* btf, uint32_t name_off) {
  const char* name = btf == nullptr ? nullptr : btf__name_by_offset(btf, name_off);
  return name == nullptr ? std::string_view() : std::string_view(name);
}

std::string type_display(const struct btf* btf, uint32_t id) {
  const btf_type* t = type_by_id(btf, id);
  if (t == nullptr) {
    return fmt::format("[{}]", id);
  }
  if (id == 0) {
    return "void";
  }
  const std::string_view name = name_of(btf, t->name_off);
  const char* prefix = "";
  switch (btf_kind(t)) {
    case BTF_KIND_STRUCT:
      prefix = "struct ";
      break;
    case BTF_KIND_UNION:
      prefix = "union ";
      break;
    case BTF_KIND_ENUM:
    case BTF_KIND_ENUM64:
      prefix = "enum ";
      break;
    case BTF_KIND_FWD:
      prefix = btf_kflag(t) ? "union " : "struct ";
      break;
    default:
      break;
  }
  if (name.empty()) {
    return fmt::format("{}<anon> [{}]", prefix, id);
  }
  return fmt::format("{}{}", prefix, name);
}

size_t essential_name_len(std::string_view name) {
  // The flavour separator is "X___Y" with X and Y not underscores; the last one counts.
  for (size_t i = name.size() >= 5 ? name.size() - 5 + 1 : 0; i-- > 0;) {
    if (name[i] != '_' && name.substr(i + 1, 3) == "___" && name[i + 4] != '_') {
      return i + 1;
    }
  }
  return name.size();
}

Result<uint32_t> resolve_size(const struct btf* btf, uint32_t id) {
  if (type_by_id(btf, id) == nullptr) {
    return btf_error(fmt::format("BTF type id {} does not exist", id));
  }
  const int64_t size = btf__resolve_size(btf, id);
  if (size < 0 || size > UINT32_MAX) {
    return btf_error(fmt::format("BTF type {} has no size", type_display(btf, id)));
  }
  return static_cast<uint32_t>(size);
}

bool is_composite(const btf_type* t) {
  return t != nullptr && (btf_is_struct(t) || btf_is_union(t));
}

bool is_any_enum(const btf_type* t) {
  return t != nullptr && (btf_is_enum(t) || btf_is_enum64(t));
}

Result<BtfExt> parse_btf_ext(std::span<const uint8_t> bytes, const struct btf* btf) {
  struct Header {
    uint16_t magic;
    uint8_t version;
    uint8_t flags;
    uint32_t hdr_len;
    uint32_t func_info_off, func_info_len;
    uint32_t line_info_off, line_info_len;
    uint32_t core_relo_off, core_relo_len;
  };
  constexpr size_t kMinHeader = 24;  // without the CO-RE fields
  if (bytes.size() < kMinHeader) {
    return btf_error(fmt::format(".BTF.ext: {} bytes, too short for its header", bytes.size()));
  }
  Header hdr{};
  std::memcpy(&hdr, bytes.data(), std::min(bytes.size(), sizeof(Header)));
  if (hdr.magic != BTF_MAGIC) {
    return btf_error(fmt::format(".BTF.ext: bad magic 0x{:04x}", hdr.magic));
  }
  if (hdr.version != 1) {
    return btf_error(fmt::format(".BTF.ext: unsupported version {}", hdr.version));
  }
  if (hdr.hdr_len < kMinHeader || hdr.hdr_len > bytes.size()) {
    return btf_error(fmt::format(".BTF.ext: header length {} is invalid", hdr.hdr_len));
  }
  if (hdr.hdr_len < sizeof(Header)) {
    hdr.core_relo_off = hdr.core_relo_len = 0;
  }
  const auto body = bytes.subspan(hdr.hdr_len);
  auto block = [&](uint32_t off, uint32_t len, const char* what) -> Result<std::span<const uint8_t>> {
    if (off > body.size() || len > body.size() - off) {
      return btf_error(fmt::format(".BTF.ext {}: bytes {}..{} lie outside the section", what, off,
                                   static_cast<uint64_t>(off) + len));
    }
    return body.subspan(off, len);
  };
  BtfExt ext;
  auto func = block(hdr.func_info_off, hdr.func_info_len, "func_info");
  if (!func) {
    return func.take_error();
  }
  BPFRT_TRY(parse_info_block(*func, btf, "func_info", ext.func_info));
  auto line = block(hdr.line_info_off, hdr.line_info_len, "line_info");
  if (!line) {
    return line.take_error();
  }
  BPFRT_TRY(parse_info_block(*line, btf, "line_info", ext.line_info));
  auto core = block(hdr.core_relo_off, hdr.core_relo_len, "core_relo");
  if (!core) {
    return core.take_error();
  }
  BPFRT_TRY(parse_info_block(*core, btf, "core_relo", ext.core_relos));
  return ext;
}

}  // namespace bpfrt::object
