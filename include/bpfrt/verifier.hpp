// The static verifier: proves, before any engine runs a program, that on every path it only reads
// initialised registers and stack bytes, only touches memory inside regions it is entitled to (context
// fields of its program type, its stack, map values, packet data bounded by data_end checks, memory
// returned by helpers), calls helpers with arguments matching their prototypes, releases what it
// acquires (ring-buffer reservations), leaks no pointers where its program type forbids it, and
// terminates. It follows the Linux verifier's rules and log format (kernel/bpf/verifier.c); where bpfrt
// deliberately differs, docs/verifier.md says so.
//
// Thread-safety: verify_program is reentrant; the options (helper table, map resolver) are only read.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bpfrt/helper.hpp"
#include "bpfrt/isa.hpp"
#include "bpfrt/result.hpp"

namespace bpfrt {

// Program types, numbered as enum bpf_prog_type in <linux/bpf.h>. kRaw is bpfrt's own: the context is
// plain memory of VerifyOptions::ctx_size bytes (r1 points to it, r2 holds its size), as the
// bpf_conformance vectors expect.
enum class ProgramType : uint32_t {
  kSocketFilter = 1,
  kKprobe = 2,  // also uprobes: the context is struct pt_regs
  kSchedCls = 3,
  kTracepoint = 5,
  kXdp = 6,
  kPerfEvent = 7,
  kRawTracepoint = 17,
  kSyscall = 31,
  kRaw = 0x10000,
};

const char* program_type_name(ProgramType type);
// Accepts the names above and common aliases ("uprobe", "tc", "raw_tp", "socket", ...).
Result<ProgramType> parse_program_type(std::string_view name);
// Every supported type, in the order of the table in docs/verifier.md.
std::vector<ProgramType> program_types();

// What the verifier needs to know about a map an lddw names.
struct MapInfo {
  uint32_t type = 0;  // enum bpf_map_type (BPF_MAP_TYPE_HASH = 1, ...)
  uint32_t key_size = 0;
  uint32_t value_size = 0;
  uint32_t max_entries = 0;
  uint32_t flags = 0;  // BPF_F_RDONLY_PROG, BPF_F_WRONLY_PROG, ...
  // Offset of a struct bpf_spin_lock inside the value, or -1. (The kernel learns it from BTF.)
  int32_t spin_lock_offset = -1;
  std::string name;
  // For BPF_MAP_TYPE_ARRAY_OF_MAPS / HASH_OF_MAPS: the shape of the inner maps.
  std::shared_ptr<const MapInfo> inner;
};

// Describes the map an lddw pseudo source names. `source` is LddwSrc::kMapFd or kMapValue (ref is the
// map fd) or kMapIdx or kMapIdxValue (ref is the index into the program's map array).
using MapResolver = std::function<Result<MapInfo>(LddwSrc source, int32_t ref)>;

struct VerifierLimits {
  size_t max_insns = 1'000'000;        // program size (BPF_COMPLEXITY_LIMIT_INSNS)
  uint64_t max_processed = 1'000'000;  // instructions processed across all paths
  int max_call_frames = 8;             // MAX_CALL_FRAMES
  uint32_t stack_size = 512;           // per frame and combined along a call chain (MAX_BPF_STACK)
  size_t max_pending_branches = 8192;  // BPF_COMPLEXITY_LIMIT_JMP_SEQ
  size_t max_states_per_insn = 64;     // states kept for pruning at one instruction
  size_t max_log_bytes = 16u << 20;    // the log is cut beyond this
};

struct VerifyOptions {
  ProgramType type = ProgramType::kRaw;
  // Prototypes of the helpers the program may call (function pointers may be null). Required if the
  // program calls helpers.
  const HelperTable* helpers = nullptr;
  // Required if the program loads maps with lddw.
  MapResolver maps;
  // kRaw: bytes of context memory (0: r1 is NULL). kSyscall: size of the context buffer (0: any
  // access below 65535, as the kernel). Ignored for other types, whose context has a fixed layout.
  size_t ctx_size = 0;
  // 0: only the reason for a refusal; 1: every instruction as it is verified, with branch states;
  // 2: also the register state after each instruction.
  int log_level = 0;
  // Overrides the program type's pointer-leak policy (e.g. false to treat every program as untrusted).
  std::optional<bool> allow_ptr_leaks;
  // Requires r0 at program exit to be a scalar in [min, max] (signed), for attach points whose result
  // has a meaning (the kernel does this per attach type); none of the program types has one by default.
  std::optional<std::pair<int64_t, int64_t>> return_range;
  // Pruning ignores scalars no check relied on (the kernel's precision tracking). Off, every scalar is
  // compared: slower, and a reference for testing that the tracking never hides an unsafe path.
  bool track_precision = true;
  VerifierLimits limits;
};

struct VerifierStats {
  uint64_t insns_processed = 0;
  uint64_t states_kept = 0;  // states stored for pruning, in total
  uint64_t peak_states = 0;  // most states stored at once
  uint64_t states_pruned = 0;
  uint32_t max_states_per_insn = 0;
  std::chrono::nanoseconds duration{0};
};

// The region a load, store or atomic was proven to access.
enum class AccessRegion : uint8_t { kNone, kStack, kContext, kPacket, kMapValue, kHelperMemory, kMixed };

struct VerifierReport {
  bool accepted = false;
  // Kernel-style log: "12: (79) r0 = *(u64 *)(r1 +8)  ; ldxdw %r0, [%r1+8]", register state, reason.
  std::string log;
  std::string reason;          // the reason alone, when refused
  std::optional<size_t> insn;  // the instruction refused, when there is one
  VerifierStats stats;

  // Per instruction slot (JIT and loader facts). access_proven_safe[i] is true when instruction i is a
  // load, store or atomic that every path reaching it accesses inside its stack frame, a map value or
  // helper-returned memory: an engine may drop the run-time check there, provided its stack frames
  // hold at least `stack_depth` bytes. Context and packet accesses are proven against the program
  // type's layout (and data/data_end) but stay checked, since the caller supplies that memory.
  std::vector<bool> access_proven_safe;
  std::vector<AccessRegion> access_region;

  uint32_t stack_depth = 0;           // the deepest stack use of any one frame, in bytes
  uint32_t combined_stack_depth = 0;  // along the deepest call chain (kernel rounding, <= 512)
  uint32_t ctx_size_required = 0;     // one past the last context byte any path touches
  bool uses_tail_calls = false;

  // The refusal as an Error (ErrorCode::kRefused) whose message is the log.
  Error error() const;
};

// Verifies `program` as a program of options.type. Returns an error only for unusable options (an
// unknown program type); a refused program is a report with accepted == false.
[[nodiscard]] Result<VerifierReport> verify_program(const Program& program, const VerifyOptions& options);

// "processed 12 insns (limit 1000000) max_states_per_insn 1 total_states 3 peak_states 3 mark_read 0"
// and the time, as `bpfrt verify --stats` prints them.
std::string format_verifier_stats(const VerifierStats& stats, const VerifierLimits& limits);

}  // namespace bpfrt
