// Interpreter-versus-JIT comparison: runs one program through both engines on the same input memory
// and reports any difference in r0, in the memory the program wrote, or in the error raised (code,
// instruction index and message). Used by the differential fuzzer and the JIT's unit tests.
//
// Until the verifier lands, some programs are not comparable: ones that observe stack addresses
// (each engine has its own stack) or read r1-r5 after a helper call (the JIT's helpers clobber them,
// the interpreter keeps them; the kernel verifier refuses such reads). differential_hazard finds
// them with a conservative scan so callers can skip them.
// Thread-safety: pure functions; engines are created per call.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "bpfrt/engine.hpp"

#include "vm/jit/jit_compiler.hpp"

namespace bpfrt {

// Why comparing the engines on this program would flag differences that are not bugs, or nullopt.
std::optional<std::string> differential_hazard(const Program& program, const HelperTable* helpers);

struct EngineOutcome {
  bool created = false;
  Result<uint64_t> result = uint64_t{0};  // the creation error when !created
  std::vector<uint8_t> memory;            // the context buffer after the run
  std::vector<uint8_t> region;            // the region after the run
};

struct DifferentialOutcome {
  bool same = true;
  std::string difference;  // what differs, with both sides, when !same
  EngineOutcome interp;
  EngineOutcome jit;
};

// Runs `program` in the interpreter and in the JIT (compiled with `jit_options`) over copies of
// `memory` placed at the same address, and compares. Error messages are compared with addresses
// outside the context replaced (stack addresses differ between engines). `region`, if given, is
// memory outside the context the program may write (a registered region): it is restored to its
// contents before each run and compared after, like the context.
DifferentialOutcome compare_engines(const Program& program, const EngineOptions& options,
                                    std::span<const uint8_t> memory, const JitCompileOptions& jit_options,
                                    std::span<uint8_t> region = {});

// The message with every "0x..." address that lies outside [lo, hi) replaced by "0x?".
std::string normalize_addresses(const std::string& message, uint64_t lo, uint64_t hi);

}  // namespace bpfrt
