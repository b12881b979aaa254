// Jumps, helper calls, local calls, callx and exit.
//
// Local calls use the native call/ret pair: the caller pushes r6-r9 and r10 (48 bytes with the return
// address, so rsp stays 16-byte aligned), moves r10 down one frame and calls the target's block; an
// exit below the main frame returns to it, and the caller pops the registers back. The main frame is
// recognised by r10 == stack_hi.
#include <stdexcept>

#include "vm/jit/jit_emitter.hpp"

namespace bpfrt {
namespace {

// The helper a callx register names, or null: the interpreter's lookup, for ids outside the table.
HelperFn jit_resolve_callx(const Engine* engine, uint64_t value) {
  const HelperTable* helpers = engine->options().helpers;
  const auto id = static_cast<int32_t>(value);
  if (helpers == nullptr || static_cast<int64_t>(id) != static_cast<int64_t>(value)) {
    return nullptr;
  }
  const HelperEntry* entry = helpers->find(id);
  return entry == nullptr ? nullptr : entry->fn;
}

size_t jump_target(const Insn& in) {
  const bool uses_imm = in.info.form == Form::kJa32 || in.info.form == Form::kCallLocal;
  return static_cast<size_t>(static_cast<int64_t>(in.index) + 1 + (uses_imm ? in.raw.imm : in.raw.offset));
}

}  // namespace

Emitter::Cc Emitter::condition_code(Cond cond) {
  switch (cond) {
    case Cond::kEq:
      return Cc::kE;
    case Cond::kNe:
    case Cond::kSet:
      return Cc::kNe;
    case Cond::kGt:
      return Cc::kA;
    case Cond::kGe:
      return Cc::kAe;
    case Cond::kLt:
      return Cc::kB;
    case Cond::kLe:
      return Cc::kBe;
    case Cond::kSgt:
      return Cc::kG;
    case Cond::kSge:
      return Cc::kGe;
    case Cond::kSlt:
      return Cc::kL;
    case Cond::kSle:
      return Cc::kLe;
  }
  return Cc::kE;
}

void Emitter::emit_ja(const Insn& in, uint8_t /*arg*/) {
  const size_t target = jump_target(in);
  if (target != in.index + 1 || slow_copy_) {
    jump(Ref::block(target));
  }
}

// cmp dst, src|imm (test for jset, and against 0); jcc target
void Emitter::emit_jcc(const Insn& in, uint8_t arg) {
  const auto cond = static_cast<Cond>(arg);
  const bool is64 = op::cls(in.info.opcode) == op::kClsJmp;
  const Xbyak::Reg64& d64 = reg(in.raw.dst);
  const Xbyak::Reg d = is64 ? Xbyak::Reg(d64) : Xbyak::Reg(d64.cvt32());
  if (in.info.form == Form::kJmpImm) {
    const auto k = static_cast<uint32_t>(in.raw.imm);  // sign-extended by the CPU for 64-bit compares
    if (cond == Cond::kSet) {
      test(d, k);
    } else if (k == 0) {
      test(d, d);  // the same flags as cmp dst, 0 for every condition
    } else {
      cmp(d, k);
    }
  } else {
    const Xbyak::Reg64& s64 = reg(in.raw.src);
    const Xbyak::Reg s = is64 ? Xbyak::Reg(s64) : Xbyak::Reg(s64.cvt32());
    cond == Cond::kSet ? test(d, s) : cmp(d, s);
  }
  jump(condition_code(cond), Ref::block(jump_target(in)));
}

// r9 = the RunContext (the helper's sixth argument), with its stack bounds covering this frame.
void Emitter::set_helper_stack_lo() {
  mov(r9, qword[r12 + jit_off::kRc]);
  if (analysis_.has_local_calls) {
    // lea r10, [rbp - frame]; mov [r9 + stack_lo], r10  (r11 may hold a callx target)
    lea(r10, ptr[rbp - frame_]);
    mov(qword[r9 + jit_off::kRcStackLo], r10);
  }
}

// A helper may end the run: stop, fail or tail-call.
//   mov r9, [r12 + rc]; cmp byte [r9 + stop_requested], 0; jne stopped
void Emitter::after_helper_call(const Insn& in) {
  mov(r9, qword[r12 + jit_off::kRc]);
  cmp(byte[r9 + jit_off::kRcStopRequested], 0);
  jump(Cc::kNe, fault_stub(in.index, Exit::kStopped));
}

// r1-r5 are already in rdi, rsi, rdx, rcx, r8; the result arrives in rax, which is r0.
void Emitter::emit_call_helper(const Insn& in, uint8_t /*arg*/) {
  set_helper_stack_lo();
  mov(rax, reinterpret_cast<uint64_t>(input_.helper_fns[in.index]));  // mov rax, fn; call rax
  call(rax);
  after_helper_call(in);
}

// callx dst: the register holds a helper id, looked up when the call runs.
//   mov r10, dst; cmp r10, table_size; jae slow; mov r11, table; mov r11, [r11 + r10 * 8]
//   test r11, r11; jz bad; go: call r11
void Emitter::emit_callx(const Insn& in, uint8_t /*arg*/) {
  uses_callx_ = true;
  const Ref bad = fault_stub(in.index, Exit::kBadCall);
  Stub slow_stub{.kind = Stub::Kind::kCallxSlow, .insn = static_cast<uint32_t>(in.index), .fault = bad.index};
  const Ref slow = Ref::stub(stubs_.size());  // added below, once the resume point is known
  mov(r10, reg(in.raw.dst));
  if (input_.callx_table_size > 0) {
    cmp(r10, static_cast<uint32_t>(input_.callx_table_size));
    jump(Cc::kAe, slow);
    mov(r11, reinterpret_cast<uint64_t>(input_.callx_table));
    mov(r11, qword[r11 + r10 * 8]);
    test(r11, r11);
    jump(Cc::kE, bad);
  } else {
    jump(slow);
  }
  slow_stub.resume = static_cast<uint32_t>(getSize());
  add_stub(slow_stub);
  set_helper_stack_lo();
  call(r11);
  after_helper_call(in);
}

// In: r10 = the callx value. Out: r11 = the helper, or 0. Keeps every BPF register and r10.
void Emitter::emit_callx_resolve_routine() {
  bind(Ref::exit(Exit::kCallxResolve));
  const Xbyak::Reg64 saved[] = {rax, rdi, rsi, rdx, rcx, r8, r10};  // 7 pushes + return address: aligned
  for (const auto& r : saved) {
    push(r);
  }
  mov(rdi, reinterpret_cast<uint64_t>(input_.engine));
  mov(rsi, r10);
  mov(rax, reinterpret_cast<uint64_t>(&jit_resolve_callx));
  call(rax);
  mov(r11, rax);
  for (auto it = std::rbegin(saved); it != std::rend(saved); ++it) {
    pop(*it);
  }
  ret();
}

//   cmp rbp, [deepest_r10]; je depth_fault
//   push rbx; push r13; push r14; push r15; push rbp; sub rbp, frame; [zero the frame]
//   call target; pop rbp; pop r15; pop r14; pop r13; pop rbx
void Emitter::emit_call_local(const Insn& in, uint8_t /*arg*/) {
  cmp(rbp, qword[r12 + jit_off::kDeepestR10]);
  jump(Cc::kE, fault_stub(in.index, Exit::kCallDepth));
  push(rbx);
  push(r13);
  push(r14);
  push(r15);
  push(rbp);
  sub(rbp, frame_);
  if (options_.zero_stack) {
    emit_zero_frame();
  }
  call_to(Ref::block(jump_target(in)));
  pop(rbp);
  pop(r15);
  pop(r14);
  pop(r13);
  pop(rbx);
}

void Emitter::emit_call_kfunc(const Insn& /*in*/, uint8_t /*arg*/) {
  throw std::logic_error("kfunc calls are not supported");  // refused before compilation
}

// exit: in the main frame, the epilogue; in a local call, ret to the caller.
void Emitter::emit_exit(const Insn& /*in*/, uint8_t /*arg*/) {
  if (!analysis_.has_local_calls) {
    emit_return_from_main();
    return;
  }
  cmp(rbp, qword[r12 + jit_off::kStackHi]);
  jump(Cc::kE, Ref::exit(Exit::kEpilogue));
  ret();
}

}  // namespace bpfrt
