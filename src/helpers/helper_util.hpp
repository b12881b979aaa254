// Shared by the standard helper implementations: argument checks that end the run on a misuse the
// verifier would have refused, access to the host and to the event description, and the per-run
// state (outstanding ring-buffer reservations, held spin locks) released when the run ends.
#pragma once

#include <cstdint>
#include <vector>

#include "bpfrt/engine.hpp"
#include "bpfrt/standard_helpers.hpp"

namespace bpfrt::helpers {

inline HelperHost* host_of(const RunContext* rc) {
  const HelperTable* table = rc->engine != nullptr ? rc->engine->options().helpers : nullptr;
  return table != nullptr ? static_cast<HelperHost*>(table->context()) : nullptr;
}

// The map behind a map argument; ends the run if it is not one. `why` must be a string literal.
inline Map* map_arg(RunContext* rc, uint64_t value, const char* why) {
  Map* map = Map::from_program_handle(value);
  if (map == nullptr) {
    rc->fail(why);
  }
  return map;
}

// True if the program may read (or write) [p, p + n); otherwise ends the run with `why`.
inline bool check_memory(RunContext* rc, uint64_t p, uint64_t n, bool write, const char* why) {
  if (!rc->accessible(p, n, write)) {
    rc->fail(why);
    return false;
  }
  return true;
}

inline ProbeRunInfo* probe_info(const RunContext* rc) {
  auto* info = static_cast<ProbeRunInfo*>(rc->user);
  return info != nullptr && info->magic == kProbeRunInfoMagic ? info : nullptr;
}

// What a run still holds when it ends: discarded and released by RunContext::on_run_end.
struct RunHoldings {
  std::vector<void*> reservations;
  std::vector<uint32_t*> locks;
  std::vector<Map*> copied;  // maps that handed this run copies of values (Map::copies_values)
};
RunHoldings& holdings(RunContext* rc);

}  // namespace bpfrt::helpers
