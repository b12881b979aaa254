// The kernel's program tag: the first 8 bytes of the SHA-256 of the instructions with the immediates
// of map-referencing lddw loads zeroed (kernel/bpf/core.c, bpf_prog_calc_tag), so the same program has
// the same tag here and in `bpftool prog` on recent kernels (checked against 6.18 by runtime_kernel_test;
// older kernels hashed with SHA-1).
#pragma once

#include <cstdint>

#include "bpfrt/isa.hpp"

namespace bpfrt {

uint64_t program_tag(const Program& program);  // the 8 tag bytes, first byte in the low bits

}  // namespace bpfrt
