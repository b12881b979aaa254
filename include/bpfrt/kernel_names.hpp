// Names of the kernel's BPF enumerations (enum bpf_prog_type, bpf_attach_type, bpf_map_type), kept
// as plain integers so that public headers need no kernel headers, printed as bpftool does ("xdp",
// "hash", ...). Every stage that shows or parses these uses this one unit.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "bpfrt/result.hpp"

namespace bpfrt {

using ProgType = uint32_t;    // enum bpf_prog_type, or kProgTypeRaw
using AttachType = uint32_t;  // enum bpf_attach_type

// bpfrt's own program type for plain programs (the bpf_conformance vectors, raw bytecode): the
// context is memory of a given size, r1 points to it and r2 holds its size. Outside the kernel's range.
inline constexpr ProgType kProgTypeRaw = 0x10000;

// "xdp", "kprobe", ..., "raw" for kProgTypeRaw, "prog_type_N" for numbers the kernel headers lack.
std::string prog_type_name(ProgType type);
std::string attach_type_name(AttachType type);
// By kernel number (bpf_map_type): "hash", "ringbuf", ..., "map_type_N" when unknown.
std::string map_type_name(uint32_t type);

// Accepts the names above, "BPF_PROG_TYPE_*" spellings and "raw"; case-insensitive.
Result<ProgType> parse_prog_type(std::string_view name);
// A map type by kernel name ("hash", "BPF_MAP_TYPE_RINGBUF", ...) or number.
Result<uint32_t> parse_kernel_map_type(std::string_view name);

}  // namespace bpfrt
