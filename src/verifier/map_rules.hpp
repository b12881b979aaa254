// Which helpers may be used with which map types (the kernel's check_map_func_compatibility), as
// two tables: helpers that need particular map types, and map types that only work with particular
// helpers. Thread-safety: immutable data.
#pragma once

#include <cstdint>
#include <string>

namespace bpfrt::verifier {

// True if helper `helper_id` may take a map of kernel type `map_type`.
bool map_helper_compatible(int32_t helper_id, uint32_t map_type);

// True for BPF_MAP_TYPE_ARRAY_OF_MAPS and BPF_MAP_TYPE_HASH_OF_MAPS.
bool is_map_in_map(uint32_t map_type);

// "hash", "array", ... or the number.
std::string map_type_name(uint32_t map_type);

}  // namespace bpfrt::verifier
