// Running a program the way the kernel's BPF_PROG_TEST_RUN does: the caller gives a packet (data_in)
// and/or a context (ctx_in), bpfrt builds the context the program type expects and runs the program
// `repeat` times, returning r0, the packet and context afterwards and the mean duration.
//
// Packet programs (XDP, tc/SCHED_CLS/SCHED_ACT, SOCKET_FILTER, LWT_*) see the packet through 32-bit
// context fields (xdp_md.data, __sk_buff.data); the kernel's verifier rewrites those loads, bpfrt
// instead places the packet below 4 GiB so that the 32-bit value is the real address. The context is
// filled as the kernel fills it (see docs/loader.md for the field list), ctx_in fields the kernel
// accepts are honoured and others must be zero, and ctx_out holds what the kernel copies back. Other
// program types get ctx_in as their context, as for BPF_PROG_TYPE_SYSCALL and raw tracepoints.
//
// Thread-safety: test_run may be called from many threads; each call owns its packet and context.
#pragma once

#include <cstdint>
#include <vector>

#include "bpfrt/engine.hpp"
#include "bpfrt/object.hpp"
#include "bpfrt/verifier.hpp"

namespace bpfrt {

struct TestRunInput {
  std::vector<uint8_t> data_in;  // the packet, for packet programs
  std::vector<uint8_t> ctx_in;   // the context (or fields of it, for packet programs)
  uint32_t repeat = 1;           // 0 counts as 1
};

struct TestRunOutput {
  uint64_t retval = 0;
  std::vector<uint8_t> data_out;  // packet programs: the packet after the (last) run
  std::vector<uint8_t> ctx_out;   // the context after the (last) run, as the kernel reports it
  uint64_t duration_ns = 0;       // mean over the runs
};

// True for the program types whose input is a packet.
bool is_packet_program(ProgType type);

// How test_run makes its engine.
struct TestRunOptions {
  EngineOptions engine;  // plus the packet region and the context rules of the type, added by test_run
  // Verify the program first, as a program of the run's type (the kernel's BPF_PROG_LOAD would): the
  // helpers are engine.helpers, the maps are described by `maps` (needed if the program loads maps).
  // Off only for trusted experiments: the engine's run-time checks are then the only protection.
  bool verify = true;
  MapResolver maps;
  int log_level = 0;  // of the verifier's log (VerifyOptions::log_level)
  // Receives the verifier's report (also when it refuses the program).
  VerifierReport* report = nullptr;
};

// Verifies `program` (unless options.verify is off), creates an engine of `kind` for it and runs it.
// Errors: a program type the verifier does not know, a refusal (kRefused, with the verifier's log),
// bad input for the type (names the field), or the run's own error.
[[nodiscard]] Result<TestRunOutput> test_run(EngineKind kind, const Program& program, ProgType type,
                                             TestRunOptions options, const TestRunInput& input);

// The same without the verifier (TestRunOptions::verify off): the engine's run-time checks alone.
[[nodiscard]] Result<TestRunOutput> test_run(EngineKind kind, const Program& program, ProgType type,
                                             EngineOptions options, const TestRunInput& input);

// The verifier's program type for a kernel program type, or an error naming the types it supports.
[[nodiscard]] Result<ProgramType> verifier_program_type(ProgType type);

// Registers the helper every poisoned CO-RE instruction calls (kCorePoisonHelperId): reaching one ends
// the run with an error naming the failed relocation, as the kernel's verifier would refuse it.
[[nodiscard]] Status add_core_poison_helper(HelperTable& table);

}  // namespace bpfrt
