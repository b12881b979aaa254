// Program section names (SEC("...")) -> kernel program type, expected attach type and attach target,
// after libbpf's conventions: "xdp" matches exactly, "kprobe+" matches "kprobe" and "kprobe/...".
// One table row per section form; the attach target is parsed per AttachKind.
// Thread-safety: pure functions over a constant table.
#pragma once

#include <string_view>

#include "bpfrt/object.hpp"

namespace bpfrt::object {

struct ProgramSection {
  ProgType type = 0;
  AttachType expected_attach_type = 0;
  AttachPoint attach;
};

// An error naming the section when it is not a known program section or its target is malformed.
[[nodiscard]] Result<ProgramSection> classify_section(std::string_view section);

}  // namespace bpfrt::object
