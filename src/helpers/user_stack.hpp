// User stack traces for bpf_get_stack and bpf_get_stackid: the program runs inside the traced
// process, so its "user stack" is the calling thread's stack above the engine. With a ProbeRunInfo
// carrying the probed code's ip and frame pointer the walk follows frame pointers from there (reads
// that cannot fault); otherwise the unwinder walks from the helper and drops the runtime's own
// frames (everything below the run's RunContext, which lives in Engine::run's frame).
#pragma once

#include <cstdint>
#include <vector>

#include "bpfrt/helper.hpp"

namespace bpfrt::helpers {

// Up to `max` return addresses, innermost first, after skipping `skip` frames.
std::vector<uint64_t> capture_user_stack(const RunContext* rc, uint32_t skip, uint32_t max);

// struct bpf_stack_build_id for each address: the ELF build id and file offset of the object that
// contains it (status 1), or the raw address (status 2) when no build id is known.
struct StackBuildId {
  int32_t status;
  uint8_t build_id[20];
  uint64_t offset_or_ip;
};
static_assert(sizeof(StackBuildId) == 32);
std::vector<StackBuildId> resolve_build_ids(const std::vector<uint64_t>& ips);

}  // namespace bpfrt::helpers
