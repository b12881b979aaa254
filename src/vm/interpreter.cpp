// Pre-decoding and the direct-threaded execution loop.
#include "vm/interpreter.hpp"

#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "vm/fault.hpp"
#include "vm/semantics.hpp"

namespace bpfrt {
namespace {

using Slot = Interpreter::Slot;

// ALU operations that fuse with a preceding `mov D, S` into D = S op X. Each name gives four fused
// operations (64/32-bit, immediate/register), numbered after the table's operations.
#define BPFRT_FUSED_ALU(X) X(Add) X(Sub) X(Mul) X(Or) X(And) X(Lsh) X(Rsh) X(Xor) X(Arsh)
constexpr int kNumFused = 4 * (0
#define BPFRT_COUNT_FUSED(name) +1
                               BPFRT_FUSED_ALU(BPFRT_COUNT_FUSED)
#undef BPFRT_COUNT_FUSED
                              );
static_assert(kNumOps + kNumFused <= 256, "slot operations are one byte");

// The fused operation for `mov` + `alu`, or -1. Order matches the label table.
int fused_op(Op mov, Op alu) {
  struct Entry {
    Op imm64, reg64, imm32, reg32;
  };
  static constexpr Entry kFusable[] = {
#define BPFRT_FUSED_ENTRY(name) {Op::k##name##64Imm, Op::k##name##64Reg, Op::k##name##32Imm, Op::k##name##32Reg},
      BPFRT_FUSED_ALU(BPFRT_FUSED_ENTRY)
#undef BPFRT_FUSED_ENTRY
  };
  for (int i = 0; i < static_cast<int>(std::size(kFusable)); ++i) {
    const Entry& e = kFusable[i];
    if (mov == Op::kMov64Reg && (alu == e.imm64 || alu == e.reg64)) {
      return kNumOps + 4 * i + (alu == e.imm64 ? 0 : 1);
    }
    if (mov == Op::kMov32Reg && (alu == e.imm32 || alu == e.reg32)) {
      return kNumOps + 4 * i + (alu == e.imm32 ? 2 : 3);
    }
  }
  return -1;
}

struct Frame {
  const Slot* ret;
  uint64_t r6, r7, r8, r9, r10;
};

// Stacks up to this size live on the host thread's stack; larger ones are heap-allocated per run.
constexpr size_t kInlineStackBytes = kDefaultStackSize * kMaxCallFrames;

inline bool in_range(uint64_t addr, uint64_t lo, uint64_t len, uint64_t n) {
  const uint64_t d = addr - lo;
  return d < len && n <= len - d;
}

// Per-run state shared by the main loop and the callbacks helpers run through it (bpf_loop & co.).
struct RunState {
  const Interpreter* engine = nullptr;
  const Slot* code = nullptr;
  const RunArgs* args = nullptr;
  uint8_t* stack = nullptr;
  size_t frame_size = 0;
  int depth = 0;                        // frames in use at the current helper call
  const Slot* pc = nullptr;             // that helper call
  uint64_t budget = 0;                  // instructions left, handed across callbacks
  std::optional<Error> callback_error;  // how a callback failed; it ends the whole run
};

constexpr const char* kCallbackFailed = "a callback failed";

// Runs from `start` until the frame at `base_depth` exits. The main program starts at depth 0 with
// r1/r2 = context; a callback starts one frame below its caller's with r1-r5 = `init`.
// kCallback selects the callback entry; the main program's instantiation keeps base_depth a constant 0.
template <bool kBudget, bool kCallback>
Result<uint64_t> run_loop(RunState& st, RunContext& rc, const Slot* start, int callback_depth, const uint64_t* init) {
  const int base_depth = kCallback ? callback_depth : 0;
  // One label per operation, then the fused pairs. With a budget every instruction must be counted,
  // so a fused slot runs as its plain mov and falls through to the untouched second slot.
  static const void* const kLabels[] = {
#define BPFRT_LABEL_ADDR(id, opcode, disc, value, mnemonic, form, version) &&L_##id,
      BPFRT_OPCODES(BPFRT_LABEL_ADDR)
#undef BPFRT_LABEL_ADDR
#define BPFRT_FUSED_ADDR(name)                                                                    \
  kBudget ? &&L_kMov64Reg : &&F_Mov##name##64Imm, kBudget ? &&L_kMov64Reg : &&F_Mov##name##64Reg, \
      kBudget ? &&L_kMov32Reg : &&F_Mov##name##32Imm, kBudget ? &&L_kMov32Reg : &&F_Mov##name##32Reg,
          BPFRT_FUSED_ALU(BPFRT_FUSED_ADDR)
#undef BPFRT_FUSED_ADDR
  };
  static_assert(sizeof(kLabels) / sizeof(kLabels[0]) == kNumOps + kNumFused);

  const Interpreter& engine = *st.engine;
  const Slot* const code = st.code;
  const RunArgs& args = *st.args;
  const size_t frame_size = st.frame_size;
  const EngineOptions& options = engine.options();
  uint64_t R[kNumRegisters] = {};
  Frame frames[kMaxCallFrames];
  int depth = base_depth;

  const uint64_t stack_hi = reinterpret_cast<uint64_t>(st.stack) + frame_size * kMaxCallFrames;
  uint64_t stack_lo = stack_hi - frame_size * static_cast<uint64_t>(base_depth + 1);
  const uint64_t ctx_lo = reinterpret_cast<uint64_t>(args.ctx);
  const uint64_t ctx_len = args.ctx == nullptr ? 0 : args.ctx_len;
  const bool ctx_writable = options.ctx_writable;
  const auto* packet = static_cast<const uint8_t*>(args.packet != nullptr ? args.packet : args.ctx);
  const uint64_t packet_len = args.packet != nullptr ? args.packet_len : ctx_len;
  uint64_t budget = st.budget;

  rc.stack_lo = stack_lo;
  rc.stack_hi = stack_hi;

  if (options.zero_stack) {
    std::memset(reinterpret_cast<void*>(stack_lo), 0, frame_size);
  }
  if constexpr (kCallback) {
    std::memcpy(&R[1], init, 5 * sizeof(uint64_t));
  } else {
    R[1] = ctx_lo;
    R[2] = ctx_len;
  }
  R[10] = stack_lo + frame_size;

  const Slot* pc = start;
  Fault fault;

#define DISPATCH()                    \
  do {                                \
    if constexpr (kBudget) {          \
      if (budget-- == 0) [[unlikely]] \
        goto budget_exhausted;        \
    }                                 \
    goto* kLabels[pc->op];            \
  } while (0)
#define NEXT(n) \
  do {          \
    pc += (n);  \
    DISPATCH(); \
  } while (0)
#define DST R[pc->dst]
#define SRC R[pc->src]
#define IMM static_cast<uint64_t>(pc->imm)
#define ALU64(id, b, expr)    \
  L_##id : {                  \
    const uint64_t a = DST;   \
    const uint64_t rhs = (b); \
    (void)a;                  \
    (void)rhs;                \
    DST = (expr);             \
    NEXT(1);                  \
  }
#define ALU32(id, b, expr)                         \
  L_##id : {                                       \
    const uint32_t a = static_cast<uint32_t>(DST); \
    const uint32_t rhs = static_cast<uint32_t>(b); \
    (void)a;                                       \
    (void)rhs;                                     \
    DST = static_cast<uint32_t>(expr);             \
    NEXT(1);                                       \
  }
#define ALU_BOTH(name, expr64, expr32) \
  ALU64(k##name##64Imm, IMM, expr64)   \
  ALU64(k##name##64Reg, SRC, expr64)   \
  ALU32(k##name##32Imm, IMM, expr32)   \
  ALU32(k##name##32Reg, SRC, expr32)
#define CHECK_ACCESS(addr_expr, n, is_write)                                    \
  const uint64_t addr = (addr_expr);                                            \
  if (!in_range(addr, stack_lo, stack_hi - stack_lo, n) &&                      \
      !((!(is_write) || ctx_writable) && in_range(addr, ctx_lo, ctx_len, n)) && \
      !engine.in_registered_region(addr, n, is_write)) [[unlikely]] {           \
    fault.addr = addr;                                                          \
    fault.size = n;                                                             \
    fault.write = is_write;                                                     \
    goto out_of_bounds;                                                         \
  }
#define LOAD(id, T, ext)                                                \
  L_##id : {                                                            \
    CHECK_ACCESS(SRC + static_cast<int64_t>(pc->off), sizeof(T), false) \
    T v;                                                                \
    std::memcpy(&v, reinterpret_cast<const void*>(addr), sizeof(T));    \
    DST = ext(v);                                                       \
    NEXT(1);                                                            \
  }
#define STORE(id, T, value)                                            \
  L_##id : {                                                           \
    CHECK_ACCESS(DST + static_cast<int64_t>(pc->off), sizeof(T), true) \
    const T v = static_cast<T>(value);                                 \
    std::memcpy(reinterpret_cast<void*>(addr), &v, sizeof(T));         \
    NEXT(1);                                                           \
  }
#define ATOMIC_ADDR(T)                                               \
  CHECK_ACCESS(DST + static_cast<int64_t>(pc->off), sizeof(T), true) \
  if (addr % sizeof(T) != 0) [[unlikely]] {                          \
    fault.addr = addr;                                               \
    fault.size = sizeof(T);                                          \
    fault.misaligned = true;                                         \
    goto out_of_bounds;                                              \
  }                                                                  \
  T* p = reinterpret_cast<T*>(addr);
#define ATOMIC_RMW(id, T, builtin, fetch)                            \
  L_##id : {                                                         \
    ATOMIC_ADDR(T)                                                   \
    const T old = builtin(p, static_cast<T>(SRC), __ATOMIC_SEQ_CST); \
    if (fetch) {                                                     \
      SRC = old;                                                     \
    }                                                                \
    NEXT(1);                                                         \
  }
#define ATOMIC_FAMILY(name, builtin)                          \
  ATOMIC_RMW(kAtomic##name##64, uint64_t, builtin, false)     \
  ATOMIC_RMW(kAtomicFetch##name##64, uint64_t, builtin, true) \
  ATOMIC_RMW(kAtomic##name##32, uint32_t, builtin, false)     \
  ATOMIC_RMW(kAtomicFetch##name##32, uint32_t, builtin, true)
#define JMP64(id, b, cond)      \
  L_##id : {                    \
    const uint64_t a = DST;     \
    const uint64_t rhs = (b);   \
    pc += (cond) ? pc->off : 1; \
    DISPATCH();                 \
  }
#define JMP32(id, b, cond)                         \
  L_##id : {                                       \
    const uint32_t a = static_cast<uint32_t>(DST); \
    const uint32_t rhs = static_cast<uint32_t>(b); \
    pc += (cond) ? pc->off : 1;                    \
    DISPATCH();                                    \
  }
#define JMP_BOTH(name, cond64, cond32) \
  JMP64(k##name##64Imm, IMM, cond64)   \
  JMP64(k##name##64Reg, SRC, cond64)   \
  JMP32(k##name##32Imm, IMM, cond32)   \
  JMP32(k##name##32Reg, SRC, cond32)
#define PACKET_LOAD(id, T, swap, offset_expr)                                        \
  L_##id : {                                                                         \
    const int64_t k = (offset_expr);                                                 \
    if (k < 0 || static_cast<uint64_t>(k) + sizeof(T) > packet_len) {                \
      return uint64_t{0}; /* the kernel ends the program with 0 on a short packet */ \
    }                                                                                \
    T v;                                                                             \
    std::memcpy(&v, packet + k, sizeof(T));                                          \
    R[0] = swap(v);                                                                  \
    NEXT(1);                                                                         \
  }

  DISPATCH();

  ALU_BOTH(Add, a + rhs, a + rhs)
  ALU_BOTH(Sub, a - rhs, a - rhs)
  ALU_BOTH(Mul, a * rhs, a * rhs)
  ALU_BOTH(Div, sem::div64(a, rhs), sem::div32(a, rhs))
  ALU_BOTH(Sdiv, sem::sdiv64(a, rhs), sem::sdiv32(a, rhs))
  ALU_BOTH(Or, a | rhs, a | rhs)
  ALU_BOTH(And, a & rhs, a & rhs)
  ALU_BOTH(Lsh, sem::lsh64(a, rhs), sem::lsh32(a, rhs))
  ALU_BOTH(Rsh, sem::rsh64(a, rhs), sem::rsh32(a, rhs))
  ALU_BOTH(Mod, sem::mod64(a, rhs), sem::mod32(a, rhs))
  ALU_BOTH(Smod, sem::smod64(a, rhs), sem::smod32(a, rhs))
  ALU_BOTH(Xor, a ^ rhs, a ^ rhs)
  ALU_BOTH(Mov, rhs, rhs)
  ALU_BOTH(Arsh, sem::arsh64(a, rhs), sem::arsh32(a, rhs))
  // mov D, S followed by an ALU operation on D: D = S op X, in one dispatch (X is the immediate or
  // register T, never D; see fuse_pairs).
#define FUSED64(name, b, expr) \
  F_Mov##name : {              \
    const uint64_t a = SRC;    \
    const uint64_t rhs = (b);  \
    DST = (expr);              \
    NEXT(2);                   \
  }
#define FUSED32(name, b, expr)                     \
  F_Mov##name : {                                  \
    const uint32_t a = static_cast<uint32_t>(SRC); \
    const uint32_t rhs = static_cast<uint32_t>(b); \
    DST = static_cast<uint32_t>(expr);             \
    NEXT(2);                                       \
  }
#define FUSED_BOTH(name, expr64, expr32)   \
  FUSED64(name##64Imm, IMM, expr64)        \
  FUSED64(name##64Reg, R[pc->aux], expr64) \
  FUSED32(name##32Imm, IMM, expr32)        \
  FUSED32(name##32Reg, R[pc->aux], expr32)
  FUSED_BOTH(Add, a + rhs, a + rhs)
  FUSED_BOTH(Sub, a - rhs, a - rhs)
  FUSED_BOTH(Mul, a * rhs, a * rhs)
  FUSED_BOTH(Or, a | rhs, a | rhs)
  FUSED_BOTH(And, a & rhs, a & rhs)
  FUSED_BOTH(Lsh, sem::lsh64(a, rhs), sem::lsh32(a, rhs))
  FUSED_BOTH(Rsh, sem::rsh64(a, rhs), sem::rsh32(a, rhs))
  FUSED_BOTH(Xor, a ^ rhs, a ^ rhs)
  FUSED_BOTH(Arsh, sem::arsh64(a, rhs), sem::arsh32(a, rhs))
  ALU64(kNeg64, 0, 0 - a)
  ALU32(kNeg32, 0, 0 - a)
  ALU64(kMovsx8To64, SRC, sem::sext8(rhs))
  ALU64(kMovsx16To64, SRC, sem::sext16(rhs))
  ALU64(kMovsx32To64, SRC, sem::sext32(rhs))
  ALU32(kMovsx8To32, SRC, static_cast<uint32_t>(sem::sext8(rhs)))
  ALU32(kMovsx16To32, SRC, static_cast<uint32_t>(sem::sext16(rhs)))
  ALU64(kLe16, 0, sem::to_le16(a))
  ALU64(kLe32, 0, sem::to_le32(a))
  ALU64(kLe64, 0, sem::to_le64(a))
  ALU64(kBe16, 0, sem::swap16(a))
  ALU64(kBe32, 0, sem::swap32(a))
  ALU64(kBe64, 0, sem::swap64(a))
  ALU64(kBswap16, 0, sem::swap16(a))
  ALU64(kBswap32, 0, sem::swap32(a))
  ALU64(kBswap64, 0, sem::swap64(a))

#define BPFRT_LOADS(X)                                                                                           \
  X(kLdxB, uint8_t, static_cast<uint64_t>)                                                                       \
  X(kLdxH, uint16_t, static_cast<uint64_t>) X(kLdxW, uint32_t, static_cast<uint64_t>)                            \
      X(kLdxDw, uint64_t, static_cast<uint64_t>) X(kLdxsB, uint8_t, sem::sext8) X(kLdxsH, uint16_t, sem::sext16) \
          X(kLdxsW, uint32_t, sem::sext32)
#define BPFRT_STORES(X)                                                                                    \
  X(kStB, uint8_t, pc->imm)                                                                                \
  X(kStH, uint16_t, pc->imm) X(kStW, uint32_t, pc->imm) X(kStDw, uint64_t, pc->imm) X(kStxB, uint8_t, SRC) \
      X(kStxH, uint16_t, SRC) X(kStxW, uint32_t, SRC) X(kStxDw, uint64_t, SRC)
  BPFRT_LOADS(LOAD)
  BPFRT_STORES(STORE)
#undef BPFRT_LOADS
#undef BPFRT_STORES

  ATOMIC_FAMILY(Add, __atomic_fetch_add)
  ATOMIC_FAMILY(Or, __atomic_fetch_or)
  ATOMIC_FAMILY(And, __atomic_fetch_and)
  ATOMIC_FAMILY(Xor, __atomic_fetch_xor)
  ATOMIC_RMW(kAtomicXchg64, uint64_t, __atomic_exchange_n, true)
  ATOMIC_RMW(kAtomicXchg32, uint32_t, __atomic_exchange_n, true)
L_kAtomicCmpxchg64 : {
  ATOMIC_ADDR(uint64_t)
  uint64_t expected = R[0];
  __atomic_compare_exchange_n(p, &expected, SRC, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  R[0] = expected;
  NEXT(1);
}
L_kAtomicCmpxchg32 : {
  ATOMIC_ADDR(uint32_t)
  uint32_t expected = static_cast<uint32_t>(R[0]);
  __atomic_compare_exchange_n(p, &expected, static_cast<uint32_t>(SRC), false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  R[0] = expected;
  NEXT(1);
}

L_kLddwImm64:
L_kLddwMapFd:
L_kLddwMapValue:
L_kLddwBtfId:
L_kLddwFunc:
L_kLddwMapIdx:
L_kLddwMapIdxValue : {
  DST = IMM;
  NEXT(2);
}

  PACKET_LOAD(kLdAbsB, uint8_t, static_cast<uint64_t>, pc->imm)
  PACKET_LOAD(kLdAbsH, uint16_t, sem::swap16, pc->imm)
  PACKET_LOAD(kLdAbsW, uint32_t, sem::swap32, pc->imm)
  PACKET_LOAD(kLdIndB, uint8_t, static_cast<uint64_t>,
              static_cast<int32_t>(static_cast<uint32_t>(SRC) + static_cast<uint32_t>(pc->imm)))
  PACKET_LOAD(kLdIndH, uint16_t, sem::swap16,
              static_cast<int32_t>(static_cast<uint32_t>(SRC) + static_cast<uint32_t>(pc->imm)))
  PACKET_LOAD(kLdIndW, uint32_t, sem::swap32,
              static_cast<int32_t>(static_cast<uint32_t>(SRC) + static_cast<uint32_t>(pc->imm)))

L_kJa:
L_kJa32 : {
  pc += pc->off;
  DISPATCH();
}
  JMP_BOTH(Jeq, a == rhs, a == rhs)
  JMP_BOTH(Jne, a != rhs, a != rhs)
  JMP_BOTH(Jset, (a & rhs) != 0, (a & rhs) != 0)
  JMP_BOTH(Jgt, a > rhs, a > rhs)
  JMP_BOTH(Jge, a >= rhs, a >= rhs)
  JMP_BOTH(Jlt, a < rhs, a < rhs)
  JMP_BOTH(Jle, a <= rhs, a <= rhs)
  JMP_BOTH(Jsgt, sem::jsgt(a, rhs), sem::jsgt32(a, rhs))
  JMP_BOTH(Jsge, sem::jsge(a, rhs), sem::jsge32(a, rhs))
  JMP_BOTH(Jslt, sem::jslt(a, rhs), sem::jslt32(a, rhs))
  JMP_BOTH(Jsle, sem::jsle(a, rhs), sem::jsle32(a, rhs))

#define BEFORE_HELPER()    \
  rc.stack_lo = stack_lo;  \
  st.depth = depth;        \
  st.pc = pc;              \
  if constexpr (kBudget) { \
    st.budget = budget;    \
  }
#define AFTER_HELPER()     \
  if constexpr (kBudget) { \
    budget = st.budget;    \
  }
L_kCallHelper : {
  const auto fn = reinterpret_cast<HelperFn>(pc->imm);
  BEFORE_HELPER()
  R[0] = fn(R[1], R[2], R[3], R[4], R[5], &rc);
  AFTER_HELPER()
  if (rc.stop_requested) [[unlikely]] {
    goto helper_stopped;
  }
  NEXT(1);
}
L_kCallx : {
  const HelperEntry* entry = options.helpers == nullptr ? nullptr : options.helpers->find(static_cast<int32_t>(DST));
  if (entry == nullptr || entry->fn == nullptr ||
      static_cast<int64_t>(static_cast<int32_t>(DST)) != static_cast<int64_t>(DST)) {
    fault.code = ErrorCode::kBadCall;
    fault.callx_target = static_cast<int64_t>(DST);
    goto fail;
  }
  BEFORE_HELPER()
  R[0] = entry->fn(R[1], R[2], R[3], R[4], R[5], &rc);
  AFTER_HELPER()
  if (rc.stop_requested) [[unlikely]] {
    goto helper_stopped;
  }
  NEXT(1);
}
L_kCallLocal : {
  if (depth + 1 >= kMaxCallFrames) [[unlikely]] {
    fault.code = ErrorCode::kCallDepth;
    goto fail;
  }
  frames[depth++] = Frame{pc + 1, R[6], R[7], R[8], R[9], R[10]};
  R[10] -= frame_size;
  stack_lo -= frame_size;
  if (options.zero_stack) {
    std::memset(reinterpret_cast<void*>(stack_lo), 0, frame_size);
  }
  pc += pc->off;
  DISPATCH();
}
L_kCallKfunc : {
  fault.code = ErrorCode::kBadCall;
  goto fail;  // rejected when the engine is created; unreachable
}
L_kExit : {
  if (depth == base_depth) {
    if constexpr (kBudget) {
      st.budget = budget;
    }
    return R[0];
  }
  const Frame& f = frames[--depth];
  R[6] = f.r6;
  R[7] = f.r7;
  R[8] = f.r8;
  R[9] = f.r9;
  R[10] = f.r10;
  stack_lo += frame_size;
  pc = f.ret;
  DISPATCH();
}

helper_stopped:
  if constexpr (kBudget) {
    st.budget = budget;
  }
  if (rc.failure == nullptr) {
    return rc.stop_value;
  }
  if (rc.failure == kCallbackFailed && st.callback_error) {
    return *st.callback_error;
  }
  fault.code = ErrorCode::kHelperFailed;
  fault.helper_failure = rc.failure;
  goto fail;
budget_exhausted:
  __attribute__((unused));
  fault.code = ErrorCode::kBudgetExhausted;
  goto fail;
out_of_bounds:
  fault.code = ErrorCode::kOutOfBounds;
fail:
  return fault_error(engine.program(), static_cast<size_t>(pc - code), fault, options.instruction_budget);

#undef DISPATCH
#undef NEXT
#undef DST
#undef SRC
#undef IMM
#undef ALU64
#undef ALU32
#undef ALU_BOTH
#undef CHECK_ACCESS
#undef LOAD
#undef STORE
#undef ATOMIC_ADDR
#undef ATOMIC_RMW
#undef ATOMIC_FAMILY
#undef JMP64
#undef JMP32
#undef JMP_BOTH
#undef PACKET_LOAD
#undef BEFORE_HELPER
#undef AFTER_HELPER
#undef FUSED64
#undef FUSED32
#undef FUSED_BOTH
}

// RunContext::call_function for the interpreter: the callback runs in a nested loop on the frame
// below the helper's caller, sharing the stack, the depth limit and the budget.
Result<uint64_t> call_function(RunContext& rc, uint64_t fn, const uint64_t args[5]) {
  auto& st = *static_cast<RunState*>(rc.engine_state);
  const Program& program = st.engine->program();
  const auto caller = static_cast<size_t>(st.pc - st.code);
  auto fail = [&](Error error) -> Result<uint64_t> {
    st.callback_error = error;
    rc.fail(kCallbackFailed);
    return error;
  };
  if (fn >= program.size() || program.op_at(static_cast<size_t>(fn)) == nullptr) {
    Fault f;
    f.code = ErrorCode::kBadCall;
    f.callback = true;
    f.callx_target = static_cast<int64_t>(fn);
    return fail(fault_error(program, caller, f, 0));
  }
  if (st.depth + 1 >= kMaxCallFrames) {
    Fault f;
    f.code = ErrorCode::kCallDepth;
    return fail(fault_error(program, caller, f, 0));
  }
  const uint64_t saved_lo = rc.stack_lo;
  const int saved_depth = st.depth;
  const Slot* saved_pc = st.pc;
  auto result = st.engine->options().instruction_budget != 0
                    ? run_loop<true, true>(st, rc, st.code + fn, saved_depth + 1, args)
                    : run_loop<false, true>(st, rc, st.code + fn, saved_depth + 1, args);
  rc.stack_lo = saved_lo;
  st.depth = saved_depth;
  st.pc = saved_pc;
  if (!result) {
    return fail(result.take_error());
  }
  return result;
}

}  // namespace

Result<std::unique_ptr<Interpreter>> Interpreter::create(Program program, EngineOptions options) {
  std::unique_ptr<Interpreter> interp(new Interpreter(std::move(program), std::move(options)));
  BPFRT_TRY(interp->predecode());
  interp->fuse_pairs();
  return interp;
}

Status Interpreter::predecode() {
  const Program& prog = program_;
  code_.resize(prog.size());
  for (size_t i = 0; i < prog.size(); ++i) {
    const OpInfo* info = prog.op_at(i);
    if (info == nullptr) {
      code_[i] = Slot{};  // second slot of an lddw: never dispatched
      continue;
    }
    const Instruction& insn = prog[i];
    Slot& s = code_[i];
    s = Slot{static_cast<uint8_t>(info->id), insn.dst, insn.src, 0, insn.offset, insn.imm};
    auto where = [&] { return fmt::format("instruction {} ({})", i, disassemble_one(prog, i)); };
    switch (info->form) {
      case Form::kJa:
      case Form::kJmpImm:
      case Form::kJmpReg:
        s.off = insn.offset + 1;
        break;
      case Form::kJa32:
      case Form::kCallLocal:
        s.off = insn.imm + 1;
        break;
      case Form::kLddw:
        if (insn.src == static_cast<uint8_t>(LddwSrc::kImm64)) {
          s.imm = static_cast<int64_t>(prog.lddw_imm64(i));
        } else if (insn.src == static_cast<uint8_t>(LddwSrc::kFunc)) {
          // A callback: the target instruction's index, which RunContext::call_function runs.
          const int64_t target = static_cast<int64_t>(i) + insn.imm + 1;
          if (target < 0 || static_cast<size_t>(target) >= prog.size() ||
              prog.op_at(static_cast<size_t>(target)) == nullptr) {
            return make_error(ErrorCode::kInvalidArgument,
                              fmt::format("{}: function target {} is outside the program", where(), target), i);
          }
          s.imm = target;
        } else if (options_.resolve_lddw) {
          auto value = options_.resolve_lddw(insn, prog[i + 1], i);
          if (!value) {
            return value.take_error();
          }
          s.imm = static_cast<int64_t>(*value);
        } else {
          return make_error(ErrorCode::kUnsupported,
                            fmt::format("{}: nothing resolves this pseudo source here (load the program "
                                        "through the object loader or the registry)",
                                        where()),
                            i);
        }
        break;
      case Form::kCallHelper: {
        const HelperEntry* entry = options_.helpers == nullptr ? nullptr : options_.helpers->find(insn.imm);
        if (entry == nullptr || entry->fn == nullptr) {
          return make_error(ErrorCode::kNotFound, fmt::format("{}: unknown helper {}", where(), insn.imm), i);
        }
        s.imm = static_cast<int64_t>(reinterpret_cast<uintptr_t>(entry->fn));
        break;
      }
      case Form::kCallKfunc:
        return make_error(ErrorCode::kUnsupported, fmt::format("{}: kfunc calls are not supported", where()), i);
      default:
        break;
    }
  }
  return {};
}

// Superinstructions: `mov D, S` directly followed by `alu D, X` (X not D) becomes one slot computing
// D = S op X and skipping the ALU slot, which stays intact for jumps that land on it. Neither
// instruction can fault, so errors still name the right instruction.
void Interpreter::fuse_pairs() {
  for (size_t i = 0; i + 1 < code_.size(); ++i) {
    Slot& first = code_[i];
    const Slot& second = code_[i + 1];
    if (program_.op_at(i) == nullptr || program_.op_at(i + 1) == nullptr || second.dst != first.dst) {
      continue;
    }
    const OpInfo& alu = *program_.op_at(i + 1);
    const int fused = fused_op(program_.op_at(i)->id, alu.id);
    if (fused < 0 || (alu.form == Form::kAluReg && second.src == first.dst)) {
      continue;
    }
    first.op = static_cast<uint8_t>(fused);
    first.aux = second.src;  // the register operand, when the ALU has one
    first.imm = second.imm;  // the immediate, when the ALU has one
  }
}

Result<uint64_t> Interpreter::execute(const RunArgs& args, RunContext& rc) const {
  const size_t frame_size = options_.stack_size;
  const size_t stack_bytes = frame_size * kMaxCallFrames;
  alignas(16) uint8_t inline_stack[kInlineStackBytes];
  std::unique_ptr<uint8_t[]> heap_stack;
  uint8_t* stack = inline_stack;
  if (stack_bytes > kInlineStackBytes) {
    heap_stack = std::make_unique<uint8_t[]>(stack_bytes);
    stack = heap_stack.get();
  }
  RunState st;
  st.engine = this;
  st.code = code_.data();
  st.args = &args;
  st.stack = stack;
  st.frame_size = frame_size;
  st.budget = options_.instruction_budget;
  rc.call_function = call_function;
  rc.engine_state = &st;
  if (options_.instruction_budget != 0) {
    return run_loop<true, false>(st, rc, code_.data(), 0, nullptr);
  }
  return run_loop<false, false>(st, rc, code_.data(), 0, nullptr);
}

}  // namespace bpfrt
