// Why a run stopped early, and the Error every engine reports for it. The interpreter and the JIT
// both fill a Fault and call fault_error, so the same failure yields the same code, instruction index
// and message text in either engine (the differential fuzzer compares them).
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>

#include "bpfrt/isa.hpp"
#include "bpfrt/result.hpp"

namespace bpfrt {

struct Fault {
  ErrorCode code = ErrorCode::kOutOfBounds;
  uint64_t addr = 0;  // kOutOfBounds: the first byte of the access
  uint64_t size = 0;  // kOutOfBounds: access width in bytes
  bool write = false;
  bool misaligned = false;               // an atomic whose address is not a multiple of its width
  int64_t callx_target = 0;              // kBadCall: the value the callx register held
  bool callback = false;                 // kBadCall: a callback target (bpf_loop & co.) rather than callx
  const char* helper_failure = nullptr;  // kHelperFailed: the helper's reason
};

// "instruction PC (DISASM): WHAT" with the error code and instruction index of the fault. `budget`
// is the engine's instruction budget, named in kBudgetExhausted messages.
Error fault_error(const Program& program, size_t pc, const Fault& fault, uint64_t budget);

}  // namespace bpfrt
