// Ids, names and prototypes of the kernel helpers bpfrt provides, numbered as in <linux/bpf.h>
// (BPF_FUNC_*). The verifier checks calls against these prototypes; the helper implementations
// register under the same ids, so a program compiled for the kernel calls the same helper here.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "bpfrt/helper.hpp"

namespace bpfrt {

struct StandardHelper {
  int32_t id;
  std::string_view name;  // without the bpf_ prefix, as in BPF_FUNC_<name>
  HelperPrototype prototype;
};

// Sorted by id.
std::span<const StandardHelper> standard_helpers();
const StandardHelper* find_standard_helper(int32_t id);
const StandardHelper* find_standard_helper(std::string_view name);

// A prototype-only table of every standard helper (function pointers null): what the verifier needs
// to check calls before the implementations are registered.
HelperTable standard_helper_prototypes();

}  // namespace bpfrt
