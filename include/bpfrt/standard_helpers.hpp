// The standard helpers: implementations of the kernel helpers under their kernel ids, with the
// prototypes of src/helpers/helper_prototypes (what the verifier checks).
//
// Helpers find what they need through three doors: map arguments are Map program handles (see
// bpfrt/maps.hpp); the HelperHost set as the table's context gives the runtime's services (other maps
// and programs by handle, the trace pipe); and the caller's RunArgs::user may point to a
// ProbeRunInfo describing the traced event (function address, arguments, cookie, registers), which
// the tracing helpers read and write. A helper never trusts a pointer argument: it checks it with
// RunContext::accessible, and a misuse the verifier would have refused ends the run with an error.
// Thread-safety: helpers may run on any number of threads at once.
#pragma once

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string_view>

#include "bpfrt/helper.hpp"
#include "bpfrt/maps.hpp"

namespace bpfrt {

// The runtime's side of the helpers.
class HelperHost : public MapHost {
 public:
  // One bpf_trace_printk/trace_vprintk line (without its newline), for the trace pipe.
  virtual void trace(std::string_view line) = 0;
};

// A host with no registry behind it: maps and programs are unknown by handle, trace lines go to a
// stdio stream. For standalone runs and tests.
class StandaloneHelperHost : public HelperHost {
 public:
  explicit StandaloneHelperHost(FILE* trace_out = stderr) : out_(trace_out) {}
  Map* map_by_handle(uint32_t) override { return nullptr; }
  int64_t program_type(uint32_t) override { return -1; }
  const Engine* program_engine(uint32_t, EngineKind) override { return nullptr; }
  void trace(std::string_view line) override;

 private:
  std::mutex mutex_;
  FILE* out_;
};

inline constexpr uint32_t kProbeRunInfoMagic = 0x62707269;  // "bpri"

// What the attach layer tells the tracing helpers about the event a program handles. Pass a pointer
// as RunArgs::user; helpers that need it return -EOPNOTSUPP (or 0, as the kernel would) without it.
struct ProbeRunInfo {
  uint32_t magic = kProbeRunInfoMagic;
  uint64_t func_ip = 0;            // bpf_get_func_ip
  uint64_t cookie = 0;             // bpf_get_attach_cookie
  const uint64_t* args = nullptr;  // bpf_get_func_arg, bpf_get_func_arg_cnt
  uint32_t arg_count = 0;
  bool has_return_value = false;  // bpf_get_func_ret (return probes)
  uint64_t return_value = 0;
  // The probed thread's registers at the probe, for user stack traces; 0: walk from the caller of
  // Engine::run instead.
  uint64_t user_ip = 0;
  uint64_t user_fp = 0;
  // Written by helpers.
  bool override_requested = false;  // bpf_override_return
  uint64_t override_value = 0;
  int32_t retval = 0;  // bpf_set_retval / bpf_get_retval
};

// Registers every helper of standard_helpers() (src/helpers/helper_prototypes) and makes `host` the
// table's context. `host` must outlive the engines using the table.
Status add_standard_helpers(HelperTable& table, HelperHost& host);

}  // namespace bpfrt
