// Untrusted JSON into Runtime::import_json: never a crash, and a document that imports must
// round-trip (import -> export -> import elsewhere -> export gives the same text).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "bpfrt/runtime.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto first = bpfrt::Runtime::open({"", 32});
  if (!first) {
    std::abort();
  }
  if (!(*first)->import_json(text).ok()) {
    return 0;
  }
  auto exported = (*first)->export_json();
  if (!exported) {
    std::fprintf(stderr, "export after import failed: %s\n", exported.error().message.c_str());
    std::abort();
  }
  auto second = bpfrt::Runtime::open({"", 32});
  auto reimported = (*second)->import_json(*exported);
  if (!reimported.ok()) {
    std::fprintf(stderr, "re-import failed: %s\n", reimported.error().message.c_str());
    std::abort();
  }
  auto again = (*second)->export_json();
  if (!again || *again != *exported) {
    std::fprintf(stderr, "export/import does not round-trip\n");
    std::abort();
  }
  return 0;
}
