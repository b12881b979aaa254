// The kernel's program tag: the first 8 bytes of the SHA-1 of the instructions with the immediates
// of map-referencing lddw loads zeroed (kernel/bpf/core.c, bpf_prog_calc_tag), so the same program has
// the same tag here and in `bpftool prog`.
#pragma once

#include <cstdint>

#include "bpfrt/isa.hpp"

namespace bpfrt {

uint64_t program_tag(const Program& program);  // the 8 tag bytes, first byte in the low bits

}  // namespace bpfrt
