// Map specs: the generic checks bpf(BPF_MAP_CREATE) makes before the type's own, and map-in-map
// templates.
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "maps/map_base.hpp"

namespace bpfrt {
namespace {

constexpr uint32_t kFlagRdonly = 1u << 3, kFlagWronly = 1u << 4;

}  // namespace

int check_inner_template(const MapSpec& spec, std::string* why) {
  if (!spec.inner) {
    if (why != nullptr) {
      *why = "map-in-map types need an inner map template";
    }
    return -EINVAL;
  }
  const MapType t = spec.inner->type;
  if (t == MapType::kProgArray || t == MapType::kArrayOfMaps || t == MapType::kHashOfMaps || t == MapType::kUnspec ||
      find_map_type(t) == nullptr) {
    if (why != nullptr) {
      *why = fmt::format("{} maps cannot be inner maps", map_type_name(t));
    }
    return t == MapType::kProgArray ? -kENOTSUPP : -EINVAL;
  }
  return 0;
}

bool inner_map_compatible(const MapSpec& tmpl, const MapSpec& m) {
  constexpr uint32_t kInnerMap = 1u << 12;  // BPF_F_INNER_MAP: max_entries may differ
  const bool dynamic = (tmpl.flags & kInnerMap) != 0;
  return tmpl.type == m.type && tmpl.key_size == m.key_size && tmpl.value_size == m.value_size &&
         tmpl.flags == m.flags && (dynamic || tmpl.max_entries == m.max_entries);
}

int check_map_spec(const MapSpec& spec, std::string* why) {
  auto refuse = [&](int err, std::string reason) {
    if (why != nullptr) {
      *why = std::move(reason);
    }
    return err;
  };
  const MapTypeOps* ops = find_map_type(spec.type);
  if (ops == nullptr) {
    return refuse(-EINVAL, fmt::format("unknown or unsupported map type {}", static_cast<uint32_t>(spec.type)));
  }
  if ((spec.flags & kFlagRdonly) != 0 && (spec.flags & kFlagWronly) != 0) {
    return refuse(-EINVAL, "BPF_F_RDONLY and BPF_F_WRONLY exclude each other");
  }
  if (spec.map_extra != 0 && spec.type != MapType::kBloomFilter && spec.type != MapType::kPerfEventArray) {
    return refuse(-EINVAL, "map_extra is only for bloom filters (and perf event array buffer sizes)");
  }
  if (spec.spin_lock_offset >= 0 &&
      (spec.spin_lock_offset % 4 != 0 || static_cast<uint64_t>(spec.spin_lock_offset) + 4 > spec.value_size)) {
    return refuse(-EINVAL, fmt::format("spin lock offset {} is not a 4-aligned offset inside the {}-byte value",
                                       spec.spin_lock_offset, spec.value_size));
  }
  const int rc = ops->check(spec, why);
  if (rc != 0) {
    return rc;
  }
  const uint64_t size = ops->memory_size(spec, possible_cpus());
  if (size == 0 || size > kMaxMapMemory) {
    return refuse(-E2BIG, fmt::format("{} map needs too much memory", ops->name));
  }
  return 0;
}

}  // namespace bpfrt
