// What JIT'd code and the JIT engine agree on: the per-run JitState the code reads through r12, how
// a run ended, and which x86-64 register holds each BPF register.
//
// Register mapping (as in the Linux x86-64 JIT): R0 rax; R1-R5 rdi, rsi, rdx, rcx, r8, the SysV
// argument registers, so a helper call needs no shuffling; R6-R9 rbx, r13, r14, r15 (callee-saved, so
// they survive helper calls); R10 rbp. r12 holds the JitState for the whole run; r9, r10 and r11 are
// scratch (r9 carries the RunContext to helpers as their sixth argument).
#pragma once

#include <cstddef>
#include <cstdint>

#include "bpfrt/helper.hpp"

namespace bpfrt {

class Engine;

// How the JIT'd code ended. Everything but kReturn leaves the reason in JitState.
enum class JitExit : uint32_t {
  kReturn = 0,    // exit from the main frame (or a short legacy packet load: r0 = 0)
  kOutOfBounds,   // fault_insn, fault_access, fault_addr
  kMisaligned,    // atomic access: fault_insn, fault_access, fault_addr
  kBudget,        // fault_insn: the instruction that did not get to run
  kCallDepth,     // fault_insn
  kBadCall,       // fault_insn, fault_addr = the callx register's value
  kHelperStopped  // fault_insn; RunContext says why (stop value, failure or tail call)
};

// The index into the per-width bound tables for an access of 1, 2, 4 or 8 bytes.
constexpr int width_index(int bytes) {
  return bytes == 1 ? 0 : bytes == 2 ? 1 : bytes == 4 ? 2 : 3;
}

// What JitEngine::execute hands the code, and where the code reports an abnormal end. The direct
// shortcut (Engine::run(ctx, len)) passes none: then packet loads read the context, the frames live
// in the code's own native frame, and an abnormal end is stored with Engine::store_event_error.
struct JitArgs {
  RunContext* rc = nullptr;
  uint64_t packet = 0;
  uint64_t packet_len = 0;
  uint64_t stack_top = 0;  // the top of a heap-allocated stack (large frames), else unused
  // Written by the code when it returns status 1.
  JitExit exit = JitExit::kReturn;
  uint32_t insn = 0;
  uint32_t access = 0;  // width in bytes | (write ? 0x100 : 0)
  uint64_t addr = 0;    // the faulting address, or the callx target
  // Callbacks (RunContext::call_function): the engine, and where a failed callback's error is kept
  // until the run ends (a std::optional<Error> owned by JitEngine::execute).
  const void* engine = nullptr;
  void* callback_error = nullptr;
};

// rax:rdx of the compiled function: r0, and 0 for a normal end or 1 for an abnormal one.
struct JitReturn {
  uint64_t r0;
  uint64_t status;
};

// The code's per-run block, at the bottom of its own native frame (r12 points at it); the stack
// frames sit right above it unless they are heap-allocated. Only what the program needs is filled.
struct JitState {
  uint64_t ctx;       // r1 on entry
  uint64_t ctx_len;   // r2 on entry; 0 when there is no context
  uint64_t stack_hi;  // r10 on entry: the top of the main frame
  JitArgs* args;      // null for the direct shortcut
  JitExit exit;       // kReturn until the code says otherwise
  uint32_t fault_insn;
  uint64_t fault_addr;    // the faulting address, or the callx target
  uint32_t fault_access;  // width in bytes | (write ? 0x100 : 0)
  uint32_t reserved;
  RunContext* rc;        // programs that call helpers
  uint64_t packet;       // programs with legacy packet loads
  uint64_t packet_len;   //
  uint64_t deepest_r10;  // programs with local calls: r10 of the last frame; a call from it fails
  uint64_t budget;       // budgeted programs: instructions left
  // Accesses checked against unknown addresses: [ctx_lo, ctx_last[w]] and [r10 - frame, stack_last[w]]
  // hold the start addresses of in-bounds accesses of width index w. Without a context, ctx_lo is ~0
  // and ctx_last 0: no address is in range.
  uint64_t ctx_lo;
  uint64_t ctx_end;  // ctx + ctx_len; 0 without a context
  uint64_t ctx_last[4];
  uint64_t stack_last[4];
  // Programs that call back (bpf_loop, for_each_map_elem): a callback runs on a copy of its caller's
  // state, whose parent is the caller's (null in the main frame), and call_insn is the helper call
  // in progress, for errors the callback machinery reports.
  JitState* parent;
  uint32_t call_insn;
  uint32_t reserved2;
};

// The callback entry copies the state a qword at a time.
static_assert(sizeof(JitState) % 8 == 0);

// Field offsets as the emitter addresses them ([r12 + offset]).
namespace jit_off {
inline constexpr int32_t kCtx = offsetof(JitState, ctx);
inline constexpr int32_t kCtxLen = offsetof(JitState, ctx_len);
inline constexpr int32_t kStackHi = offsetof(JitState, stack_hi);
inline constexpr int32_t kArgs = offsetof(JitState, args);
inline constexpr int32_t kExit = offsetof(JitState, exit);
inline constexpr int32_t kFaultInsn = offsetof(JitState, fault_insn);
inline constexpr int32_t kFaultAddr = offsetof(JitState, fault_addr);
inline constexpr int32_t kFaultAccess = offsetof(JitState, fault_access);
inline constexpr int32_t kRc = offsetof(JitState, rc);
inline constexpr int32_t kPacket = offsetof(JitState, packet);
inline constexpr int32_t kPacketLen = offsetof(JitState, packet_len);
inline constexpr int32_t kDeepestR10 = offsetof(JitState, deepest_r10);
inline constexpr int32_t kBudget = offsetof(JitState, budget);
inline constexpr int32_t kCtxLo = offsetof(JitState, ctx_lo);
inline constexpr int32_t kCtxEnd = offsetof(JitState, ctx_end);
inline constexpr int32_t kCtxLast = offsetof(JitState, ctx_last);
inline constexpr int32_t kStackLast = offsetof(JitState, stack_last);
inline constexpr int32_t kParent = offsetof(JitState, parent);
inline constexpr int32_t kCallInsn = offsetof(JitState, call_insn);
inline constexpr int32_t kArgsRc = offsetof(JitArgs, rc);
inline constexpr int32_t kArgsPacket = offsetof(JitArgs, packet);
inline constexpr int32_t kArgsPacketLen = offsetof(JitArgs, packet_len);
inline constexpr int32_t kArgsStackTop = offsetof(JitArgs, stack_top);
inline constexpr int32_t kArgsExit = offsetof(JitArgs, exit);
inline constexpr int32_t kArgsInsn = offsetof(JitArgs, insn);
inline constexpr int32_t kArgsAccess = offsetof(JitArgs, access);
inline constexpr int32_t kArgsAddr = offsetof(JitArgs, addr);
inline constexpr int32_t kRcStackLo = offsetof(RunContext, stack_lo);
inline constexpr int32_t kRcStackHi = offsetof(RunContext, stack_hi);
inline constexpr int32_t kRcStopRequested = offsetof(RunContext, stop_requested);
inline constexpr int32_t kRcEngineState = offsetof(RunContext, engine_state);
}  // namespace jit_off

// The compiled program: r0 and a status, given the context and (except for the direct shortcut)
// the engine's arguments.
using JitEntry = JitReturn (*)(void* ctx, uint64_t ctx_len, JitArgs* args);

// The callback entry: runs the subprogram at `target` (code inside the program) with r1-r5 = args[0..4]
// and r10 = `r10`, on a copy of `parent`, the state of the frame whose helper calls back.
using JitCallbackEntry = JitReturn (*)(const uint64_t* args, JitState* parent, const void* target, uint64_t r10);

}  // namespace bpfrt
