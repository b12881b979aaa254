// The JIT driver: prologue, the body block by block (with budget counting when the engine has an
// instruction budget), the shared epilogue and exits, the counted block copies and the out-of-line
// stubs; and the opcode table that picks each instruction's emitter.
#include "vm/jit/jit_emitter.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <iterator>
#include <new>
#include <optional>
#include <stdexcept>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>
#include <xbyak/xbyak_util.h>

namespace bpfrt {
namespace {

struct OpEmitter {
  Op op;
  Emitter::Handler fn;
  uint8_t arg;
};

// One row per Op, in BPFRT_OPCODES order: a new operation without a row here fails the static_assert.
#define E(id, fn, sel)                              \
  OpEmitter {                                       \
    Op::id, &Emitter::fn, static_cast<uint8_t>(sel) \
  }
// clang-format off
constexpr OpEmitter kOpEmitters[] = {
E(kAdd64Imm, emit_alu, AluOp::kAdd),
    E(kAdd64Reg, emit_alu, AluOp::kAdd),
    E(kSub64Imm, emit_alu, AluOp::kSub),
    E(kSub64Reg, emit_alu, AluOp::kSub),
    E(kMul64Imm, emit_alu, AluOp::kMul),
    E(kMul64Reg, emit_alu, AluOp::kMul),
    E(kDiv64Imm, emit_div, DivOp::kDiv),
    E(kDiv64Reg, emit_div, DivOp::kDiv),
    E(kSdiv64Imm, emit_div, DivOp::kSdiv),
    E(kSdiv64Reg, emit_div, DivOp::kSdiv),
    E(kOr64Imm, emit_alu, AluOp::kOr),
    E(kOr64Reg, emit_alu, AluOp::kOr),
    E(kAnd64Imm, emit_alu, AluOp::kAnd),
    E(kAnd64Reg, emit_alu, AluOp::kAnd),
    E(kLsh64Imm, emit_alu, AluOp::kLsh),
    E(kLsh64Reg, emit_alu, AluOp::kLsh),
    E(kRsh64Imm, emit_alu, AluOp::kRsh),
    E(kRsh64Reg, emit_alu, AluOp::kRsh),
    E(kMod64Imm, emit_div, DivOp::kMod),
    E(kMod64Reg, emit_div, DivOp::kMod),
    E(kSmod64Imm, emit_div, DivOp::kSmod),
    E(kSmod64Reg, emit_div, DivOp::kSmod),
    E(kXor64Imm, emit_alu, AluOp::kXor),
    E(kXor64Reg, emit_alu, AluOp::kXor),
    E(kMov64Imm, emit_alu, AluOp::kMov),
    E(kMov64Reg, emit_alu, AluOp::kMov),
    E(kArsh64Imm, emit_alu, AluOp::kArsh),
    E(kArsh64Reg, emit_alu, AluOp::kArsh),
    E(kNeg64, emit_alu, AluOp::kNeg),
    E(kMovsx8To64, emit_movsx, 8),
    E(kMovsx16To64, emit_movsx, 16),
    E(kMovsx32To64, emit_movsx, 32),
    E(kAdd32Imm, emit_alu, AluOp::kAdd),
    E(kAdd32Reg, emit_alu, AluOp::kAdd),
    E(kSub32Imm, emit_alu, AluOp::kSub),
    E(kSub32Reg, emit_alu, AluOp::kSub),
    E(kMul32Imm, emit_alu, AluOp::kMul),
    E(kMul32Reg, emit_alu, AluOp::kMul),
    E(kDiv32Imm, emit_div, DivOp::kDiv),
    E(kDiv32Reg, emit_div, DivOp::kDiv),
    E(kSdiv32Imm, emit_div, DivOp::kSdiv),
    E(kSdiv32Reg, emit_div, DivOp::kSdiv),
    E(kOr32Imm, emit_alu, AluOp::kOr),
    E(kOr32Reg, emit_alu, AluOp::kOr),
    E(kAnd32Imm, emit_alu, AluOp::kAnd),
    E(kAnd32Reg, emit_alu, AluOp::kAnd),
    E(kLsh32Imm, emit_alu, AluOp::kLsh),
    E(kLsh32Reg, emit_alu, AluOp::kLsh),
    E(kRsh32Imm, emit_alu, AluOp::kRsh),
    E(kRsh32Reg, emit_alu, AluOp::kRsh),
    E(kMod32Imm, emit_div, DivOp::kMod),
    E(kMod32Reg, emit_div, DivOp::kMod),
    E(kSmod32Imm, emit_div, DivOp::kSmod),
    E(kSmod32Reg, emit_div, DivOp::kSmod),
    E(kXor32Imm, emit_alu, AluOp::kXor),
    E(kXor32Reg, emit_alu, AluOp::kXor),
    E(kMov32Imm, emit_alu, AluOp::kMov),
    E(kMov32Reg, emit_alu, AluOp::kMov),
    E(kArsh32Imm, emit_alu, AluOp::kArsh),
    E(kArsh32Reg, emit_alu, AluOp::kArsh),
    E(kNeg32, emit_alu, AluOp::kNeg),
    E(kMovsx8To32, emit_movsx, 8),
    E(kMovsx16To32, emit_movsx, 16),
    E(kLe16, emit_endian, EndianOp::kLe),
    E(kLe32, emit_endian, EndianOp::kLe),
    E(kLe64, emit_endian, EndianOp::kLe),
    E(kBe16, emit_endian, EndianOp::kSwap),
    E(kBe32, emit_endian, EndianOp::kSwap),
    E(kBe64, emit_endian, EndianOp::kSwap),
    E(kBswap16, emit_endian, EndianOp::kSwap),
    E(kBswap32, emit_endian, EndianOp::kSwap),
    E(kBswap64, emit_endian, EndianOp::kSwap),
    E(kLdxB, emit_load, 0),
    E(kLdxH, emit_load, 0),
    E(kLdxW, emit_load, 0),
    E(kLdxDw, emit_load, 0),
    E(kLdxsB, emit_load, 1),
    E(kLdxsH, emit_load, 1),
    E(kLdxsW, emit_load, 1),
    E(kStB, emit_store, 0),
    E(kStH, emit_store, 0),
    E(kStW, emit_store, 0),
    E(kStDw, emit_store, 0),
    E(kStxB, emit_store, 0),
    E(kStxH, emit_store, 0),
    E(kStxW, emit_store, 0),
    E(kStxDw, emit_store, 0),
    E(kAtomicAdd64, emit_atomic, AtomicOp::kAdd),
    E(kAtomicFetchAdd64, emit_atomic, AtomicOp::kAdd),
    E(kAtomicOr64, emit_atomic, AtomicOp::kOr),
    E(kAtomicFetchOr64, emit_atomic, AtomicOp::kOr),
    E(kAtomicAnd64, emit_atomic, AtomicOp::kAnd),
    E(kAtomicFetchAnd64, emit_atomic, AtomicOp::kAnd),
    E(kAtomicXor64, emit_atomic, AtomicOp::kXor),
    E(kAtomicFetchXor64, emit_atomic, AtomicOp::kXor),
    E(kAtomicXchg64, emit_atomic, AtomicOp::kXchg),
    E(kAtomicCmpxchg64, emit_atomic, AtomicOp::kCmpxchg),
    E(kAtomicAdd32, emit_atomic, AtomicOp::kAdd),
    E(kAtomicFetchAdd32, emit_atomic, AtomicOp::kAdd),
    E(kAtomicOr32, emit_atomic, AtomicOp::kOr),
    E(kAtomicFetchOr32, emit_atomic, AtomicOp::kOr),
    E(kAtomicAnd32, emit_atomic, AtomicOp::kAnd),
    E(kAtomicFetchAnd32, emit_atomic, AtomicOp::kAnd),
    E(kAtomicXor32, emit_atomic, AtomicOp::kXor),
    E(kAtomicFetchXor32, emit_atomic, AtomicOp::kXor),
    E(kAtomicXchg32, emit_atomic, AtomicOp::kXchg),
    E(kAtomicCmpxchg32, emit_atomic, AtomicOp::kCmpxchg),
    E(kLddwImm64, emit_lddw, 0),
    E(kLddwMapFd, emit_lddw, 0),
    E(kLddwMapValue, emit_lddw, 0),
    E(kLddwBtfId, emit_lddw, 0),
    E(kLddwFunc, emit_lddw, 0),
    E(kLddwMapIdx, emit_lddw, 0),
    E(kLddwMapIdxValue, emit_lddw, 0),
    E(kLdAbsB, emit_packet_load, 0),
    E(kLdAbsH, emit_packet_load, 0),
    E(kLdAbsW, emit_packet_load, 0),
    E(kLdIndB, emit_packet_load, 0),
    E(kLdIndH, emit_packet_load, 0),
    E(kLdIndW, emit_packet_load, 0),
    E(kJa, emit_ja, 0),
    E(kJa32, emit_ja, 0),
    E(kJeq64Imm, emit_jcc, Cond::kEq),
    E(kJeq64Reg, emit_jcc, Cond::kEq),
    E(kJgt64Imm, emit_jcc, Cond::kGt),
    E(kJgt64Reg, emit_jcc, Cond::kGt),
    E(kJge64Imm, emit_jcc, Cond::kGe),
    E(kJge64Reg, emit_jcc, Cond::kGe),
    E(kJset64Imm, emit_jcc, Cond::kSet),
    E(kJset64Reg, emit_jcc, Cond::kSet),
    E(kJne64Imm, emit_jcc, Cond::kNe),
    E(kJne64Reg, emit_jcc, Cond::kNe),
    E(kJsgt64Imm, emit_jcc, Cond::kSgt),
    E(kJsgt64Reg, emit_jcc, Cond::kSgt),
    E(kJsge64Imm, emit_jcc, Cond::kSge),
    E(kJsge64Reg, emit_jcc, Cond::kSge),
    E(kJlt64Imm, emit_jcc, Cond::kLt),
    E(kJlt64Reg, emit_jcc, Cond::kLt),
    E(kJle64Imm, emit_jcc, Cond::kLe),
    E(kJle64Reg, emit_jcc, Cond::kLe),
    E(kJslt64Imm, emit_jcc, Cond::kSlt),
    E(kJslt64Reg, emit_jcc, Cond::kSlt),
    E(kJsle64Imm, emit_jcc, Cond::kSle),
    E(kJsle64Reg, emit_jcc, Cond::kSle),
    E(kJeq32Imm, emit_jcc, Cond::kEq),
    E(kJeq32Reg, emit_jcc, Cond::kEq),
    E(kJgt32Imm, emit_jcc, Cond::kGt),
    E(kJgt32Reg, emit_jcc, Cond::kGt),
    E(kJge32Imm, emit_jcc, Cond::kGe),
    E(kJge32Reg, emit_jcc, Cond::kGe),
    E(kJset32Imm, emit_jcc, Cond::kSet),
    E(kJset32Reg, emit_jcc, Cond::kSet),
    E(kJne32Imm, emit_jcc, Cond::kNe),
    E(kJne32Reg, emit_jcc, Cond::kNe),
    E(kJsgt32Imm, emit_jcc, Cond::kSgt),
    E(kJsgt32Reg, emit_jcc, Cond::kSgt),
    E(kJsge32Imm, emit_jcc, Cond::kSge),
    E(kJsge32Reg, emit_jcc, Cond::kSge),
    E(kJlt32Imm, emit_jcc, Cond::kLt),
    E(kJlt32Reg, emit_jcc, Cond::kLt),
    E(kJle32Imm, emit_jcc, Cond::kLe),
    E(kJle32Reg, emit_jcc, Cond::kLe),
    E(kJslt32Imm, emit_jcc, Cond::kSlt),
    E(kJslt32Reg, emit_jcc, Cond::kSlt),
    E(kJsle32Imm, emit_jcc, Cond::kSle),
    E(kJsle32Reg, emit_jcc, Cond::kSle),
    E(kCallHelper, emit_call_helper, 0),
    E(kCallLocal, emit_call_local, 0),
    E(kCallKfunc, emit_call_kfunc, 0),
    E(kCallx, emit_callx, 0),
    E(kExit, emit_exit, 0),
};
// clang-format on
#undef E

constexpr bool table_in_op_order() {
  for (size_t i = 0; i < std::size(kOpEmitters); ++i) {
    if (kOpEmitters[i].op != static_cast<Op>(i)) {
      return false;
    }
  }
  return std::size(kOpEmitters) == static_cast<size_t>(kNumOps);
}
static_assert(table_in_op_order(), "kOpEmitters must have one row per Op, in BPFRT_OPCODES order");

// xbyak's buffer lives in ordinary memory; compile_jit copies the finished code into a CodeBuffer, so
// no page of ours is ever writable and executable at once. Each thread keeps its largest buffer for
// the next compilation: fresh pages for every program cost more than emitting into them.
class HeapAllocator final : public Xbyak::Allocator {
 public:
  uint8_t* alloc(size_t size) override {
    Cache& cache = thread_cache();
    if (cache.block != nullptr && cache.size >= size) {
      return std::exchange(cache.block, nullptr);
    }
    void* p = std::malloc(size);
    if (p == nullptr) {
      throw std::bad_alloc();
    }
    thread_sizes()[p] = size;
    return static_cast<uint8_t*>(p);
  }
  void free(uint8_t* p) override {
    if (p == nullptr) {
      return;
    }
    Cache& cache = thread_cache();
    auto& sizes = thread_sizes();
    const size_t size = sizes[p];
    if (cache.block == nullptr || cache.size < size) {
      if (cache.block != nullptr) {
        sizes.erase(cache.block);
        std::free(cache.block);
      }
      cache.block = p;
      cache.size = size;
      return;
    }
    sizes.erase(p);
    std::free(p);
  }
  bool useProtect() const override { return false; }

 private:
  struct Cache {
    uint8_t* block = nullptr;
    size_t size = 0;
    Cache() = default;
    Cache(const Cache&) = delete;
    Cache& operator=(const Cache&) = delete;
    ~Cache() { std::free(block); }
  };
  static Cache& thread_cache() {
    thread_local Cache cache;
    return cache;
  }
  static std::unordered_map<void*, size_t>& thread_sizes() {
    thread_local std::unordered_map<void*, size_t> sizes;
    return sizes;
  }
};

HeapAllocator& heap_allocator() {
  static HeapAllocator allocator;
  return allocator;
}

// Stack frames up to this size live in the code's own native frame; larger ones are allocated by
// the engine per run.
constexpr size_t kNativeStackBytes = kDefaultStackSize * kMaxCallFrames;

}  // namespace

Emitter::Emitter(const JitInput& input, const ProgramAnalysis& analysis, const JitCompileOptions& options)
    : CodeGenerator(input.program->size() * 64 + 4096, Xbyak::AutoGrow, &heap_allocator()),
      input_(input),
      program_(*input.program),
      options_(*input.options),
      analysis_(analysis),
      copts_(options),
      frame_(static_cast<int32_t>(input.options->stack_size)),
      budgeted_(input.options->instruction_budget != 0),
      has_regions_(!input.options->regions.empty()),
      bpf_regs_{rax, rdi, rsi, rdx, rcx, r8, rbx, r13, r14, r15, rbp},
      block_pos_(program_.size(), kUnbound, input.resource),
      slow_pos_(program_.size(), kUnbound, input.resource),
      slow_blocks_(input.resource),
      merged_(program_.size(), 0, input.resource),
      checks_(program_.size(), Check::kNone, input.resource),
      stub_pos_(input.resource),
      fixups_(input.resource),
      stubs_(input.resource),
      shortcuts_(input.resource),
      combiner_(program_, analysis, input.resource),
      rewrites_(input.resource),
      unchecked_(input.resource) {
  setDefaultJmpNEAR(true);
  if (combiner_.enabled()) {
    rewrites_.resize(program_.size());
    unchecked_.resize(program_.size());
  }
  std::fill(std::begin(exit_pos_), std::end(exit_pos_), kUnbound);
  std::fill(std::begin(routine_pos_), std::end(routine_pos_), kUnbound);
  bool ctx_first = false;
  bool stack_first = false;
  bool any_atomic = false;
  // Map lookups that skip the helper; the code needs a RunContext only if some helper is still called.
  shortcuts_.assign(program_.size(), nullptr);
  fixups_.reserve(program_.size());  // about one forward jump per instruction at most; the arena makes it cheap
  helper_calls_ = analysis.has_callx;
  bool lookup_calls = false;
  for (size_t i = 0; i < program_.size(); i = next_slot(program_, i)) {
    const Form form = program_.op_at(i)->form;
    any_atomic |= form == Form::kAtomic;
    if (form == Form::kLoad || form == Form::kStoreImm || form == Form::kStoreReg || form == Form::kAtomic) {
      const Check check = check_kind(i);
      checks_[i] = check;
      any_checks_ |= check != Check::kNone;
      ctx_first |= check == Check::kCtxFirst;
      stack_first |= check == Check::kStackFirst;
    } else if (form == Form::kCallHelper) {
      shortcuts_[i] = map_lookup_shortcut(i);
      helper_calls_ |= shortcuts_[i] == nullptr;
      lookup_calls |= shortcuts_[i] != nullptr && shortcuts_[i]->kind == MapLookupShortcut::Kind::kCall;
    }
  }
  callbacks_ = !input.calls_back.empty();
  frames_ = analysis.has_local_calls || callbacks_;
  needs_.depth = analysis.has_local_calls;
  // Inline checks of unknown addresses compare against precomputed bounds; the out-of-line slow
  // paths work from ctx, ctx_len and stack_hi alone.
  needs_.ctx_bounds = ctx_first;  // ctx_lo, ctx_end, ctx_last
  needs_.stack_bounds = stack_first;
  // The frame pointer (BPF r10) is set up when anything can reach the stack through it: the program,
  // a local call, a helper (through pointers the program passes), or a stack-first check.
  uses_frame_ = (analysis.regs_read & (1u << kFramePointer)) != 0 || analysis.has_local_calls ||
                analysis.has_helper_calls || stack_first;
  const uint32_t used = analysis.regs_read | analysis.regs_written;
  const std::pair<int, Xbyak::Reg64> callee_saved[] = {{6, rbx}, {7, r13}, {8, r14}, {9, r15}};
  for (const auto& [bpf, x86] : callee_saved) {
    if ((used & (1u << bpf)) != 0 || analysis.has_local_calls) {
      saved_.push_back(x86);  // a local call saves r6-r9 whether or not the program uses them
    }
  }
  if (uses_frame_) {
    saved_.push_back(rbp);
  }
  saved_.push_back(r12);
  // Below the pushes: the JitState, then (unless they are large) the stack frames, padded so that
  // rsp is 16-byte aligned in the body (the return address and the pushes come first).
  const size_t stack_bytes = static_cast<size_t>(frame_) * kMaxCallFrames;
  native_stack_ = stack_bytes <= kNativeStackBytes;
  const auto state_bytes = static_cast<int32_t>((sizeof(JitState) + 15) & ~size_t{15});
  frame_bytes_ = state_bytes + (native_stack_ ? static_cast<int32_t>(stack_bytes) : 0);
  if ((8 + 8 * saved_.size() + static_cast<size_t>(frame_bytes_)) % 16 != 0) {
    frame_bytes_ += 8;
  }
  direct_ = native_stack_ && !helper_calls_ && !analysis.has_packet_loads && input.direct_fault != nullptr;
  // A direct program that cannot end abnormally (no checked access, no atomic, no local call, no
  // budget) needs no JitState at all: no r12, no state stores, just its frame.
  lean_ = direct_ && !frames_ && !budgeted_ && !any_checks_ && !any_atomic && !analysis.has_callx && !lookup_calls;
  if (lean_) {
    saved_.pop_back();                        // r12
    frame_bytes_ = uses_frame_ ? frame_ : 0;  // the code calls nothing: no alignment to keep
    if (scratch_registers_unused()) {
      use_caller_saved_registers();
    }
  }
}

// True if no instruction of this (lean) program needs the scratch registers r9-r11: divisions park
// rax/rdx in r9/r10 and the divisor in r11, shifts by a register without BMI2 park rcx in r11, and
// zeroing a frame of more than 512 bytes loops with r10/r11.
bool Emitter::scratch_registers_unused() const {
  if (options_.zero_stack && uses_frame_ && frame_ > 512) {
    return false;
  }
  for (size_t i = 0; i < program_.size(); i = next_slot(program_, i)) {
    const OpInfo& info = *program_.op_at(i);
    const OpEmitter& entry = kOpEmitters[static_cast<size_t>(info.id)];
    if (entry.fn == &Emitter::emit_div) {
      return false;
    }
    const auto op = static_cast<AluOp>(entry.arg);
    if (entry.fn == &Emitter::emit_alu && info.form == Form::kAluReg && !copts_.use_bmi2 &&
        (op == AluOp::kLsh || op == AluOp::kRsh || op == AluOp::kArsh)) {
      return false;
    }
  }
  return true;
}

// A lean leaf calls nothing, so BPF r6-r9 need not survive calls: the ones it uses live in r9, r10
// and r11 (as many as fit) instead of rbx, r13, r14, r15, which it would have to save and restore.
void Emitter::use_caller_saved_registers() {
  const Xbyak::Reg64 free[] = {r9, r10, r11};
  const Xbyak::Reg64 kept[] = {rbx, r13, r14, r15};
  const uint32_t used = analysis_.regs_read | analysis_.regs_written;
  size_t next = 0;
  saved_.clear();
  for (int bpf = 6; bpf <= 9; ++bpf) {
    if ((used & (1u << bpf)) == 0) {
      continue;
    }
    if (next < std::size(free)) {
      bpf_regs_[bpf] = free[next++];
    } else {
      saved_.push_back(kept[bpf - 6]);
    }
  }
  if (uses_frame_) {
    saved_.push_back(rbp);
  }
}

void Emitter::emit_program() {
  emit_prologue();
  for (size_t i = 0; i < program_.size(); i = next_slot(program_, i)) {
    if (analysis_.leader[i]) {
      bind(Ref::block(i));
      if (budgeted_) {
        slow_blocks_.push_back(static_cast<uint32_t>(i));  // the refill stub resumes in the slow copy
        // sub [budget], n; jb refill  -- the whole block is paid for up front
        const uint32_t n = analysis_.block_insns[i];
        sub(qword[r12 + jit_off::kBudget], n);
        jump(Cc::kB, add_stub(Stub{.kind = Stub::Kind::kBudgetRefill, .insn = static_cast<uint32_t>(i), .value = n}));
      }
      if (any_checks_) {
        emit_merged_checks(i);
      }
      if (combiner_.enabled()) {
        plan_fast_block(i);
      }
    }
    emit_fast_insn(i);
  }
  stats_.combined_loads = combiner_.combined_loads();
  stats_.dropped_insns = combiner_.dropped_insns();
  emit_epilogue();
  emit_common_exits();
  emit_slow_copies();
  stub_pos_.assign(stubs_.size(), kUnbound);
  for (size_t k = 0; k < stubs_.size(); ++k) {
    stub_pos_[k] = static_cast<uint32_t>(getSize());
    const Stub stub = stubs_[k];  // emit_stub never adds stubs
    emit_stub(stub);
  }
  emit_access_routines();
  if (has_regions_) {
    emit_region_check_routine();
  }
  if (uses_callx_) {
    emit_callx_resolve_routine();
  }
  if (callbacks_) {
    emit_callback_entry();
  }
  resolve_fixups();
  stats_.code_bytes = getSize();
  frame_layouts_.back().end = static_cast<uint32_t>(getSize());
}

uint32_t& Emitter::position(Ref target) {
  switch (target.kind) {
    case Ref::Kind::kBlock:
      return block_pos_[target.index];
    case Ref::Kind::kSlow:
      return slow_pos_[target.index];
    case Ref::Kind::kStub:
      return stub_pos_[target.index];
    case Ref::Kind::kRoutine:
      return routine_pos_[target.index];
    case Ref::Kind::kExit:
      break;
  }
  return exit_pos_[target.index];
}

void Emitter::bind(Ref target) {
  position(target) = static_cast<uint32_t>(getSize());
}

// Stubs are bound only once the body is done, so a stub reference is always a forward fixup.
void Emitter::jump(Cc cc, Ref target) {
  if (target.kind != Ref::Kind::kStub && position(target) != kUnbound) {
    jump_back(cc, position(target));
    return;
  }
  db(0x0f);  // jcc rel32
  db(0x80 | static_cast<int>(cc));
  fixups_.push_back({static_cast<uint32_t>(getSize()), target});
  dd(0);
}

void Emitter::jump(Ref target) {
  if (target.kind != Ref::Kind::kStub && position(target) != kUnbound) {
    jump_back(position(target));
    return;
  }
  db(0xe9);  // jmp rel32
  fixups_.push_back({static_cast<uint32_t>(getSize()), target});
  dd(0);
}

void Emitter::call_to(Ref target) {
  db(0xe8);  // call rel32
  fixups_.push_back({static_cast<uint32_t>(getSize()), target});
  dd(0);
}

void Emitter::jump_back(Cc cc, uint32_t pos) {
  const int64_t short_rel = static_cast<int64_t>(pos) - static_cast<int64_t>(getSize() + 2);
  if (short_rel >= -128) {
    db(0x70 | static_cast<int>(cc));  // jcc rel8
    db(static_cast<uint8_t>(short_rel));
    return;
  }
  db(0x0f);
  db(0x80 | static_cast<int>(cc));
  dd(static_cast<uint32_t>(static_cast<int64_t>(pos) - static_cast<int64_t>(getSize() + 4)));
}

void Emitter::jump_back(uint32_t pos) {
  const int64_t short_rel = static_cast<int64_t>(pos) - static_cast<int64_t>(getSize() + 2);
  if (short_rel >= -128) {
    db(0xeb);  // jmp rel8
    db(static_cast<uint8_t>(short_rel));
    return;
  }
  db(0xe9);
  dd(static_cast<uint32_t>(static_cast<int64_t>(pos) - static_cast<int64_t>(getSize() + 4)));
}

size_t Emitter::skip_forward_always() {
  db(0xeb);  // jmp rel8, patched by land()
  db(0);
  return getSize() - 1;
}

size_t Emitter::skip_forward(Cc cc) {
  db(0x70 | static_cast<int>(cc));  // jcc rel8, patched by land()
  db(0);
  return getSize() - 1;
}

void Emitter::land(size_t skip) {
  const size_t distance = getSize() - (skip + 1);
  if (distance > 127) {
    throw std::logic_error("JIT: a short forward jump is too long");
  }
  rewrite(skip, distance, 1);
}

void Emitter::resolve_fixups() {
  for (const Fixup& f : fixups_) {
    const uint32_t target = position(f.target);
    if (target == kUnbound) {
      throw std::logic_error("JIT: a branch target was never emitted");
    }
    rewrite(f.at, static_cast<uint32_t>(static_cast<int64_t>(target) - static_cast<int64_t>(f.at + 4)), 4);
  }
}

Emitter::Ref Emitter::add_stub(const Stub& stub) {
  stubs_.push_back(stub);
  return Ref::stub(stubs_.size() - 1);
}

Emitter::Ref Emitter::fault_stub(size_t insn, Exit exit, uint32_t value) {
  return add_stub(Stub{.kind = Stub::Kind::kFault, .insn = static_cast<uint32_t>(insn), .value = value, .exit = exit});
}

void Emitter::emit_insn(size_t index) {
  const OpInfo& info = *program_.op_at(index);
  const OpEmitter& entry = kOpEmitters[static_cast<size_t>(info.id)];
  const Insn in{index, program_[index], info};
  (this->*entry.fn)(in, entry.arg);
}

void Emitter::plan_fast_block(size_t leader) {
  const uint32_t count = analysis_.block_insns[leader];
  size_t i = leader;
  for (uint32_t k = 0; k < count; ++k, i = next_slot(program_, i)) {
    unchecked_[i] = checks_[i] == Check::kNone || merged_[i] != 0 ? 1 : 0;
  }
  combiner_.plan_block(leader, unchecked_, rewrites_);
}

void Emitter::emit_fast_insn(size_t index) {
  if (!combiner_.enabled() || rewrites_[index].kind == SlotRewrite::Kind::kAsIs) {
    emit_insn(index);
    return;
  }
  const SlotRewrite& r = rewrites_[index];
  if (r.kind == SlotRewrite::Kind::kWideLoad) {
    emit_wide_load(Insn{index, program_[index], *program_.op_at(index)}, r);
  } else if (r.kind == SlotRewrite::Kind::kAndImm) {
    alu_ri(4, r.width == 8, reg(program_[index].dst).getIdx(), r.off);  // and dst, imm32
  } else if (r.kind == SlotRewrite::Kind::kMov32) {
    mov(reg(program_[index].dst).cvt32(), reg(program_[index].src).cvt32());  // mov dst32, src32
  }
}

// dst = the bytes a block assembled one load at a time, in one load:
//   movzx/mov dst, [base + off]; [rol dst16, 8 | bswap dst]; [shl dst, shift]
void Emitter::emit_wide_load(const Insn& in, const SlotRewrite& r) {
  const Xbyak::Reg64& d = reg(in.raw.dst);
  load(r.width, false, d.getIdx(), reg(r.base).getIdx(), r.off);
  if (r.swap) {
    if (r.width == 2) {
      rol(d.cvt16(), 8);
    } else if (r.width == 4) {
      bswap(d.cvt32());
    } else {
      bswap(d);
    }
  }
  if (r.shift != 0) {
    shl(d, r.shift);
  }
}

const Xbyak::Reg64& Emitter::reg(int bpf) const {
  return bpf_regs_[bpf];
}

// JitReturn entry(void* ctx, uint64_t ctx_len, JitArgs* args):
//   push the callee-saved registers the program uses; sub rsp, frame_bytes; r12 = rsp (the JitState)
//   fill the state; r1 = ctx and r2 = its length are already in rdi and rsi; r10 = the top of the main
//   frame; registers read before they are written start at 0, as in the interpreter (and nothing of
//   the host leaks into the program).
void Emitter::emit_frame_setup() {
  JitFrameLayout layout;
  layout.begin = static_cast<uint32_t>(getSize());
  for (const Xbyak::Reg64& r : saved_) {
    push(r);
    const int idx = r.getIdx();  // rbx 3, rbp 5, r12-r15 12-15
    layout.pushes.push_back({static_cast<uint32_t>(getSize()), idx == 5 ? dwarf_reg::kRbp : idx});
  }
  if (frame_bytes_ != 0) {
    sub(rsp, frame_bytes_);
  }
  layout.after_reserve = static_cast<uint32_t>(getSize());
  layout.reserve = static_cast<uint32_t>(frame_bytes_);
  if (!lean_) {
    mov(r12, rsp);
    layout.after_r12 = static_cast<uint32_t>(getSize());
  }
  if (!frame_layouts_.empty()) {
    frame_layouts_.back().end = layout.begin;
  }
  frame_layouts_.push_back(std::move(layout));
}

void Emitter::emit_prologue() {
  emit_frame_setup();
  if (lean_) {
    emit_lean_prologue();
    return;
  }
  xor_(eax, eax);
  test(rdi, rdi);
  cmovz(rsi, rax);  // no context: length 0
  store(8, 7, 12, jit_off::kCtx);
  store(8, 6, 12, jit_off::kCtxLen);
  store(8, 2, 12, jit_off::kArgs);
  store_imm(4, 0, 12, jit_off::kExit);
  // rax = the top of the main frame
  if (native_stack_) {
    const auto state_bytes = static_cast<int32_t>((sizeof(JitState) + 15) & ~size_t{15});
    lea_to(0, 4, state_bytes + frame_ * kMaxCallFrames);  // lea rax, [rsp + state + frames]
  } else {
    load(8, false, 0, 2, jit_off::kArgsStackTop);  // mov rax, [args + stack_top]
  }
  store(8, 0, 12, jit_off::kStackHi);
  if (helper_calls_) {
    // state.rc = args->rc; rc->stack_hi = top; rc->stack_lo = top - frame
    load(8, false, 9, 2, jit_off::kArgsRc);
    store(8, 9, 12, jit_off::kRc);
    store(8, 0, 9, jit_off::kRcStackHi);
    lea_to(10, 0, -frame_);
    store(8, 10, 9, jit_off::kRcStackLo);
    if (callbacks_) {
      // rc->engine_state = the state of the frame whose helpers may call back; no parent
      store(8, 12, 9, jit_off::kRcEngineState);
      mov(qword[r12 + jit_off::kParent], 0);
    }
  }
  if (analysis_.has_packet_loads) {
    load(8, false, 9, 2, jit_off::kArgsPacket);
    store(8, 9, 12, jit_off::kPacket);
    load(8, false, 9, 2, jit_off::kArgsPacketLen);
    store(8, 9, 12, jit_off::kPacketLen);
  }
  if (needs_.depth) {
    lea_to(9, 0, -(kMaxCallFrames - 1) * frame_);
    store(8, 9, 12, jit_off::kDeepestR10);
  }
  if (budgeted_) {
    mov(r9, options_.instruction_budget);
    store(8, 9, 12, jit_off::kBudget);
  }
  if (needs_.stack_bounds) {
    for (int w = 0; w < 4; ++w) {
      lea_to(9, 0, -(1 << w));
      store(8, 9, 12, jit_off::kStackLast + 8 * w);
    }
  }
  if (needs_.ctx_bounds) {
    // ctx_lo = ctx ? ctx : ~0; end = ctx + len; last[w] = len < w ? 0 : end - w
    mov(r9, -1);
    test(rdi, rdi);
    cmovnz(r9, rdi);
    store(8, 9, 12, jit_off::kCtxLo);
    lea(r10, ptr[rdi + rsi]);
    store(8, 10, 12, jit_off::kCtxEnd);  // 0 without a context
    xor_(r11d, r11d);
    for (int w = 0; w < 4; ++w) {
      lea_to(9, 10, -(1 << w));
      cmp(rsi, 1 << w);
      cmovb(r9, r11);
      store(8, 9, 12, jit_off::kCtxLast + 8 * w);
    }
  }
  if (uses_frame_) {
    mov(rbp, rax);
  }
  zero_unwritten_registers();
  if (options_.zero_stack && uses_frame_) {
    emit_zero_frame();
  }
}

// Registers read before they are written start at 0, as in the interpreter, so nothing of the host
// leaks into the program. A verified program (proven_safe facts given) never reads them.
void Emitter::zero_unwritten_registers() {
  if (!options_.proven_safe.empty()) {
    return;
  }
  for (int r : {0, 3, 4, 5, 6, 7, 8, 9}) {
    if ((analysis_.unwritten_reads & (1u << r)) != 0) {
      xor_(reg(r).cvt32(), reg(r).cvt32());
    }
  }
}

// The lean entry: r1 = ctx and r2 = its length (0 without a context) are in place; r10 = the top of
// the frame just reserved.
void Emitter::emit_lean_prologue() {
  // Engines refuse a null or short context when min_ctx_size is set: r2 is then the length as given.
  if ((analysis_.regs_read & (1u << 2)) != 0 && options_.min_ctx_size == 0) {
    xor_(eax, eax);
    test(rdi, rdi);
    cmovz(rsi, rax);
  }
  if (uses_frame_) {
    lea(rbp, ptr[rsp + frame_]);
  }
  zero_unwritten_registers();
  if (options_.zero_stack && uses_frame_) {
    emit_zero_frame();
  }
}

// Clears [rbp - frame, rbp) with SSE stores.
void Emitter::emit_zero_frame() {
  xorps(xmm0, xmm0);
  int32_t off = -frame_;
  if (frame_ > 512) {
    // lea r11, [rbp - frame]; mov r10d, frame / 64; 1: movups [r11..r11+63], xmm0; add r11, 64; dec r10d; jnz 1b
    lea(r11, ptr[rbp - frame_]);
    mov(r10d, static_cast<uint32_t>(frame_ / 64));
    Xbyak::Label loop;
    L(loop);
    for (int k = 0; k < 64; k += 16) {
      movups(ptr[r11 + k], xmm0);
    }
    add(r11, 64);
    dec(r10d);
    jnz(loop);
    off = -(frame_ % 64);
  }
  for (; off <= -16; off += 16) {
    movups(ptr[rbp + off], xmm0);
  }
  if (off < 0) {
    mov(qword[rbp + off], 0);
  }
}

// The main frame's exit: r0 is already in rax; status 0.
void Emitter::emit_return_from_main() {
  xor_(edx, edx);
  emit_leave();
}

void Emitter::emit_leave() {
  if (frame_bytes_ != 0) {
    add(rsp, frame_bytes_);
  }
  for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
    pop(*it);
  }
  ret();
}

// Faults, helper stops and short packet loads may come from inside local calls: rsp goes back to the
// state first. A normal end (short packet load: r0 = 0) returns status 0; an abnormal one status 1,
// with the details copied to args, or (direct runs) stored as this thread's error.
void Emitter::emit_epilogue() {
  bind(Ref::exit(Exit::kFaultExit));
  if (frames_) {
    mov(rsp, r12);
  }
  emit_budget_writeback();
  cmp(dword[r12 + jit_off::kExit], 0);
  jump(Cc::kE, Ref::exit(Exit::kEpilogue));
  load(8, false, 2, 12, jit_off::kArgs);  // rdx = args
  test(rdx, rdx);
  const size_t direct = skip_forward(Cc::kE);
  load(4, false, 0, 12, jit_off::kExit);
  store(4, 0, 2, jit_off::kArgsExit);
  load(4, false, 0, 12, jit_off::kFaultInsn);
  store(4, 0, 2, jit_off::kArgsInsn);
  load(4, false, 0, 12, jit_off::kFaultAccess);
  store(4, 0, 2, jit_off::kArgsAccess);
  load(8, false, 0, 12, jit_off::kFaultAddr);
  store(8, 0, 2, jit_off::kArgsAddr);
  const size_t out = skip_forward_always();
  land(direct);
  mov(rdi, r12);
  mov(rsi, reinterpret_cast<uint64_t>(input_.engine));
  mov(rax, reinterpret_cast<uint64_t>(input_.direct_fault));
  call(rax);
  land(out);
  mov(edx, 1);
  emit_leave();
  bind(Ref::exit(Exit::kEpilogue));
  emit_return_from_main();
}

void Emitter::emit_common_exits() {
  auto leave = [&](Exit at, JitExit exit, const Xbyak::Reg64* fault_addr) {
    bind(Ref::exit(at));
    if (fault_addr != nullptr) {
      mov(qword[r12 + jit_off::kFaultAddr], *fault_addr);
    }
    mov(dword[r12 + jit_off::kExit], static_cast<uint32_t>(exit));
    jump(Ref::exit(Exit::kFaultExit));
  };
  leave(Exit::kOutOfBounds, JitExit::kOutOfBounds, &r11);
  leave(Exit::kMisaligned, JitExit::kMisaligned, &r11);
  leave(Exit::kBudget, JitExit::kBudget, nullptr);
  leave(Exit::kCallDepth, JitExit::kCallDepth, nullptr);
  leave(Exit::kBadCall, JitExit::kBadCall, &r10);
  leave(Exit::kStopped, JitExit::kHelperStopped, nullptr);
  // A legacy packet load past the end of the packet ends the program with r0 = 0.
  bind(Ref::exit(Exit::kReturnZero));
  xor_(eax, eax);
  jump(Ref::exit(Exit::kFaultExit));
}

// Blocks again, each access checked on its own and, in budgeted programs, one instruction paid for
// at a time: entered when a block's merged check or its budget falls short, so faults and budget
// exhaustion happen at exactly the instruction where the interpreter has them.
void Emitter::emit_slow_copies() {
  slow_copy_ = true;
  for (const uint32_t block : slow_blocks_) {
    bind(Ref::slow(block));
    const uint32_t count = analysis_.block_insns[block];
    size_t j = block;
    for (uint32_t k = 0; k < count; ++k) {
      if (k != 0) {
        j = next_slot(program_, j);
      }
      if (budgeted_) {
        sub(qword[r12 + jit_off::kBudget], 1);
        jump(Cc::kB, fault_stub(j, Exit::kBudget));
      }
      emit_insn(j);
    }
    const size_t next = next_slot(program_, j);
    const Form last = program_.op_at(j)->form;
    if (last != Form::kJa && last != Form::kJa32 && last != Form::kExit && next < program_.size()) {
      jump(Ref::block(next));
    }
  }
  slow_copy_ = false;
}

// One bounds check at the top of a block for every group of its accesses through the same base
// register, unchanged since the block began, checked the same way: the group's whole span at once.
// If the span is not entirely in bounds, the block's slow copy runs instead and checks each access.
//   context + k:   cmp qword [ctx_len], k + hi; jb slow
//   context first: lea r11, [base + lo]; cmp r11, [ctx_lo]; jb slow
//                  mov r10, [ctx_end]; sub r10, hi - lo; jb slow; cmp r11, r10; ja slow
//   stack first:   lea r11, [base + lo]; lea r10, [rbp - frame]; cmp r11, r10; jb slow
//                  mov r10, [stack_hi]; sub r10, hi - lo; cmp r11, r10; ja slow
void Emitter::emit_merged_checks(size_t block) {
  struct Group {
    int base;
    Check check;
    int64_t lo, hi;
    uint32_t members;
    size_t first;
  };
  // The accesses a group may take: through a base register not written earlier in the block.
  auto for_each_candidate = [&](auto&& visit) {
    uint32_t written = 0;
    const uint32_t count = analysis_.block_insns[block];
    size_t i = block;
    for (uint32_t k = 0; k < count; ++k) {
      const OpInfo& info = *program_.op_at(i);
      const Instruction& insn = program_[i];
      if (info.form == Form::kLoad || info.form == Form::kStoreImm || info.form == Form::kStoreReg) {
        const int base = info.form == Form::kLoad ? insn.src : insn.dst;
        if (checks_[i] != Check::kNone && (written & (1u << base)) == 0) {
          visit(i, base, insn.offset, access_size(info));
        }
      }
      written |= analysis_.writes[i];
      i = next_slot(program_, i);
    }
  };
  std::array<Group, size_t{3} * kNumRegisters> groups;
  size_t group_count = 0;
  for_each_candidate([&](size_t i, int base, int16_t off, int width) {
    Group* g = nullptr;
    for (size_t k = 0; k < group_count && g == nullptr; ++k) {
      g = groups[k].base == base && groups[k].check == checks_[i] ? &groups[k] : nullptr;
    }
    if (g == nullptr) {
      g = &groups[group_count++];
      *g = Group{base, checks_[i], INT64_MAX, INT64_MIN, 0, i};
    }
    g->lo = std::min<int64_t>(g->lo, off);
    g->hi = std::max<int64_t>(g->hi, off + width);
    ++g->members;
  });
  std::optional<Ref> target;
  for (size_t k = 0; k < group_count; ++k) {
    const Group& g = groups[k];
    if (g.members < 2) {
      continue;
    }
    if (!target) {
      if (!budgeted_) {
        slow_blocks_.push_back(static_cast<uint32_t>(block));  // budgeted: every block has one already
      }
      // A budgeted block has already paid for itself: give it back before the slow copy.
      target = budgeted_ ? add_stub(Stub{.kind = Stub::Kind::kBudgetRefill,
                                         .insn = static_cast<uint32_t>(block),
                                         .value = analysis_.block_insns[block]})
                         : Ref::slow(block);
    }
    const Xbyak::Reg64& b = reg(g.base);
    const auto span = static_cast<uint32_t>(g.hi - g.lo);
    switch (g.check) {
      case Check::kCtxLength:
        cmp_mem_imm(12, jit_off::kCtxLen, static_cast<int32_t>(analysis_.base[g.first].offset + g.hi));
        jump(Cc::kB, *target);
        break;
      case Check::kCtxFirst:
        lea(r11, ptr[b + static_cast<int32_t>(g.lo)]);
        cmp(r11, qword[r12 + jit_off::kCtxLo]);
        jump(Cc::kB, *target);
        mov(r10, qword[r12 + jit_off::kCtxEnd]);
        sub(r10, span);
        jump(Cc::kB, *target);
        cmp(r11, r10);
        jump(Cc::kA, *target);
        break;
      default:
        lea(r11, ptr[b + static_cast<int32_t>(g.lo)]);
        lea(r10, ptr[rbp - frame_]);
        cmp(r11, r10);
        jump(Cc::kB, *target);
        mov(r10, qword[r12 + jit_off::kStackHi]);
        sub(r10, span);
        cmp(r11, r10);
        jump(Cc::kA, *target);
        break;
    }
    ++stats_.merged_checks;
  }
  if (target) {
    for_each_candidate([&](size_t i, int base, int16_t, int) {
      for (size_t k = 0; k < group_count; ++k) {
        if (groups[k].members >= 2 && groups[k].base == base && groups[k].check == checks_[i]) {
          merged_[i] = 1;
        }
      }
    });
  }
}

void Emitter::emit_stub(const Stub& stub) {
  switch (stub.kind) {
    case Stub::Kind::kBudgetRefill:
      add(qword[r12 + jit_off::kBudget], stub.value);
      jump(Ref::slow(stub.insn));
      return;
    case Stub::Kind::kFault:
      mov(dword[r12 + jit_off::kFaultInsn], stub.insn);
      if (stub.value != 0) {
        mov(dword[r12 + jit_off::kFaultAccess], stub.value);
      }
      jump(Ref::exit(stub.exit));
      return;
    case Stub::Kind::kAccess:
      emit_access_stub(stub);
      return;
    case Stub::Kind::kCallxSlow:
      // call resolve; test r11, r11; jnz resume; jmp bad
      call_to(Ref::exit(Exit::kCallxResolve));
      test(r11, r11);
      jump_back(Cc::kNe, stub.resume);
      jump(Ref::stub(stub.fault));
      return;
  }
}

Result<JitCode> compile_jit(const JitInput& input, const JitCompileOptions& options) {
  if (input.program->size() >= (size_t{1} << 31)) {
    return make_error(ErrorCode::kUnsupported,
                      fmt::format("program of {} instructions is too large for the JIT", input.program->size()));
  }
  const ProgramAnalysis analysis = analyze_program(*input.program, input.resource);
  try {
    Emitter emitter(input, analysis, options);
    emitter.emit_program();
    emitter.ready(Xbyak::CodeArray::PROTECT_RW);  // resolves xbyak's own labels; our allocator never protects
    auto buffer = CodeBuffer::create({emitter.getCode(), emitter.getSize()});
    if (!buffer) {
      return buffer.take_error();
    }
    JitCode code;
    code.code = std::move(*buffer);
    code.stats = emitter.stats();
    code.direct = emitter.direct();
    code.frames = emitter.frame_layouts();
    if (emitter.callback_entry() != UINT32_MAX) {
      code.callback_entry = emitter.callback_entry();
      code.callbacks = emitter.callback_offsets();
    }
    return code;
  } catch (const Xbyak::Error& e) {
    return make_error(ErrorCode::kUnsupported, fmt::format("JIT code generation failed: {}", e.what()));
  } catch (const std::bad_alloc&) {
    return make_error(ErrorCode::kResourceExhausted, "out of memory while generating JIT code");
  } catch (const std::logic_error& e) {
    return make_error(ErrorCode::kUnsupported, e.what());
  }
}

bool cpu_has_bmi2() {
  static const bool has = Xbyak::util::Cpu().has(Xbyak::util::Cpu::tBMI2);
  return has;
}

}  // namespace bpfrt
