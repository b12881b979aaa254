// The helpers the bpf_conformance vectors call by number (ids 0-5). They clash with the kernel's ids,
// so they are registered only in conformance modes (`bpfrt conformance`, the plug-in, .data vectors).
#pragma once

#include "bpfrt/helper.hpp"

namespace bpfrt {

// Adds gather_bytes(0), memfrob(1), no_op(2), sqrti(3), strcmp_ext(4) and unwind(5).
Status add_conformance_helpers(HelperTable& table);

}  // namespace bpfrt
