// The JIT driver: prologue, the body block by block (with budget counting when the engine has an
// instruction budget), the shared epilogue and exits, the counted block copies and the out-of-line
// stubs; and the opcode table that picks each instruction's emitter.
#include "vm/jit/jit_emitter.hpp"

#include <cstdlib>
#include <iterator>
#include <new>
#include <stdexcept>

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
// no page of ours is ever writable and executable at once.
class HeapAllocator final : public Xbyak::Allocator {
 public:
  uint8_t* alloc(size_t size) override {
    void* p = std::malloc(size);
    if (p == nullptr) {
      throw std::bad_alloc();
    }
    return static_cast<uint8_t*>(p);
  }
  void free(uint8_t* p) override { std::free(p); }
  bool useProtect() const override { return false; }
};

HeapAllocator& heap_allocator() {
  static HeapAllocator allocator;
  return allocator;
}

size_t next_slot(const Program& program, size_t i) {
  return i + (program.op_at(i)->form == Form::kLddw ? 2 : 1);
}

}  // namespace

Emitter::Emitter(const JitInput& input, const ProgramAnalysis& analysis, const JitCompileOptions& options)
    : CodeGenerator(input.program->size() * 32 + 4096, Xbyak::AutoGrow, &heap_allocator()),
      input_(input),
      program_(*input.program),
      options_(*input.options),
      analysis_(analysis),
      copts_(options),
      frame_(static_cast<int32_t>(input.options->stack_size)),
      budgeted_(input.options->instruction_budget != 0),
      has_regions_(!input.options->regions.empty()),
      bpf_regs_{rax, rdi, rsi, rdx, rcx, r8, rbx, r13, r14, r15, rbp},
      leader_(program_.size()),
      counted_(budgeted_ ? program_.size() : 0) {
  setDefaultJmpNEAR(true);
  needs_.budget = budgeted_;
  needs_.depth = analysis.has_local_calls;
}

void Emitter::emit_program() {
  emit_prologue();
  for (size_t i = 0; i < program_.size(); i = next_slot(program_, i)) {
    if (analysis_.leader[i]) {
      L(leader_[i]);
      if (budgeted_) {
        // sub [budget], n; jb refill  -- the whole block is paid for up front
        const uint32_t n = analysis_.block_insns[i];
        Xbyak::Label& refill = new_label();
        sub(qword[r12 + jit_off::kBudget], n);
        jb(refill);
        stubs_.push_back(
            Stub{Stub::Kind::kBudgetRefill, &refill, &counted_[i], static_cast<uint32_t>(i), n, 0, nullptr});
      }
    }
    emit_insn(i);
  }
  emit_epilogue();
  emit_common_exits();
  if (budgeted_) {
    emit_counted_blocks();
  }
  for (size_t k = 0; k < stubs_.size(); ++k) {
    const Stub stub = stubs_[k];  // emit_stub may add labels, never stubs
    emit_stub(stub);
  }
  if (has_regions_) {
    emit_region_check_routine();
  }
  if (uses_callx_) {
    emit_callx_resolve_routine();
  }
  stats_.code_bytes = getSize();
}

void Emitter::emit_insn(size_t index) {
  const OpInfo& info = *program_.op_at(index);
  const OpEmitter& entry = kOpEmitters[static_cast<size_t>(info.id)];
  const Insn in{index, program_[index], info};
  (this->*entry.fn)(in, entry.arg);
}

const Xbyak::Reg64& Emitter::reg(int bpf) const {
  return bpf_regs_[bpf];
}

// push callee-saved; r12 = state; r10 = top of the main frame; r1 = ctx, r2 = length, others 0.
void Emitter::emit_prologue() {
  push(rbx);
  push(rbp);
  push(r12);
  push(r13);
  push(r14);
  push(r15);
  sub(rsp, 8);  // rsp is 16-byte aligned everywhere in the body
  mov(r12, rdi);
  mov(qword[r12 + jit_off::kSavedRsp], rsp);
  mov(rbp, qword[r12 + jit_off::kStackHi]);
  mov(rdi, qword[r12 + jit_off::kCtx]);
  mov(rsi, qword[r12 + jit_off::kCtxLen]);
  // Registers the program has not written read as 0, as in the interpreter (and nothing of the host
  // leaks into the program).
  xor_(eax, eax);
  xor_(edx, edx);
  xor_(ecx, ecx);
  xor_(r8d, r8d);
  xor_(ebx, ebx);
  xor_(r13d, r13d);
  xor_(r14d, r14d);
  xor_(r15d, r15d);
  if (options_.zero_stack) {
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

// The main frame's exit: r0 is already in rax.
void Emitter::emit_return_from_main() {
  add(rsp, 8);
  pop(r15);
  pop(r14);
  pop(r13);
  pop(r12);
  pop(rbp);
  pop(rbx);
  ret();
}

void Emitter::emit_epilogue() {
  L(fault_exit_);  // faults, stops and short packet loads may come from inside local calls
  mov(rsp, qword[r12 + jit_off::kSavedRsp]);
  L(epilogue_);
  emit_return_from_main();
}

void Emitter::emit_common_exits() {
  auto leave = [&](Xbyak::Label& label, JitExit exit, const Xbyak::Reg64* fault_addr) {
    L(label);
    if (fault_addr != nullptr) {
      mov(qword[r12 + jit_off::kFaultAddr], *fault_addr);
    }
    mov(dword[r12 + jit_off::kExit], static_cast<uint32_t>(exit));
    jmp(fault_exit_);
  };
  leave(oob_exit_, JitExit::kOutOfBounds, &r11);
  leave(misaligned_exit_, JitExit::kMisaligned, &r11);
  leave(budget_exit_, JitExit::kBudget, nullptr);
  leave(depth_exit_, JitExit::kCallDepth, nullptr);
  leave(bad_call_exit_, JitExit::kBadCall, &r10);
  leave(stopped_exit_, JitExit::kHelperStopped, nullptr);
  // A legacy packet load past the end of the packet ends the program with r0 = 0.
  L(return_zero_);
  xor_(eax, eax);
  jmp(fault_exit_);
}

// Each block again, paying for one instruction at a time; entered when the budget cannot cover the
// whole block, so the run stops at exactly the instruction the interpreter stops at.
void Emitter::emit_counted_blocks() {
  counting_ = true;
  for (size_t block = 0; block < program_.size();) {
    L(counted_[block]);
    size_t j = block;
    for (uint32_t k = 0; k < analysis_.block_insns[block]; ++k) {
      sub(qword[r12 + jit_off::kBudget], 1);
      jb(fault_stub(j, budget_exit_));
      emit_insn(j);
      if (k + 1 < analysis_.block_insns[block]) {
        j = next_slot(program_, j);
      }
    }
    const size_t next = next_slot(program_, j);
    const Form last = program_.op_at(j)->form;
    if (last != Form::kJa && last != Form::kJa32 && last != Form::kExit && next < program_.size()) {
      jmp(leader_[next]);
    }
    block = next;
  }
  counting_ = false;
}

Xbyak::Label& Emitter::fault_stub(size_t insn, Xbyak::Label& common, uint32_t value) {
  Xbyak::Label& entry = new_label();
  stubs_.push_back(Stub{Stub::Kind::kFault, &entry, nullptr, static_cast<uint32_t>(insn), value, 0, &common});
  return entry;
}

void Emitter::emit_stub(const Stub& stub) {
  L(*stub.entry);
  switch (stub.kind) {
    case Stub::Kind::kBudgetRefill:
      add(qword[r12 + jit_off::kBudget], stub.value);
      jmp(*stub.resume);
      return;
    case Stub::Kind::kFault:
      mov(dword[r12 + jit_off::kFaultInsn], stub.insn);
      if (stub.value != 0) {
        mov(dword[r12 + jit_off::kFaultAccess], stub.value);
      }
      jmp(*stub.common);
      return;
    case Stub::Kind::kAccess:
      emit_access_stub(stub);
      return;
    case Stub::Kind::kCallxSlow:
      // call resolve; test r11, r11; jnz resume; jmp bad
      call(callx_resolve_);
      test(r11, r11);
      jnz(*stub.resume);
      jmp(*stub.common);
      return;
  }
}

Result<JitCode> compile_jit(const JitInput& input, const JitCompileOptions& options) {
  if (input.program->size() >= (size_t{1} << 31)) {
    return make_error(ErrorCode::kUnsupported,
                      fmt::format("program of {} instructions is too large for the JIT", input.program->size()));
  }
  const ProgramAnalysis analysis = analyze_program(*input.program);
  try {
    Emitter emitter(input, analysis, options);
    emitter.emit_program();
    emitter.ready(Xbyak::CodeArray::PROTECT_RW);  // resolves label addresses; our allocator never protects
    auto buffer = CodeBuffer::create({emitter.getCode(), emitter.getSize()});
    if (!buffer) {
      return buffer.take_error();
    }
    return JitCode{std::move(*buffer), emitter.stats(), emitter.needs()};
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
