// Jumps, helper calls, local calls, callx and exit.
//
// Local calls use the native call/ret pair: the caller pushes r6-r9 and r10 (48 bytes with the return
// address, so rsp stays 16-byte aligned), moves r10 down one frame and calls the target's block; an
// exit below the main frame returns to it, and the caller pops the registers back. The main frame is
// recognised by r10 == stack_hi.
#include <cstdint>
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
  const int dst = d64.getIdx();
  if (in.info.form == Form::kJmpImm) {
    const auto k = static_cast<uint32_t>(in.raw.imm);  // sign-extended by the CPU for 64-bit compares
    if (cond == Cond::kSet) {
      test_ri(is64, dst, k);
    } else if (k == 0) {
      alu_rr(0x85, is64, dst, dst);  // test dst, dst: the same flags as cmp dst, 0 for every condition
    } else {
      alu_ri(7, is64, dst, in.raw.imm);  // cmp dst, imm
    }
  } else {
    const int src = reg(in.raw.src).getIdx();
    alu_rr(cond == Cond::kSet ? 0x85 : 0x39, is64, dst, src);  // test / cmp dst, src
  }
  jump(condition_code(cond), Ref::block(jump_target(in)));
}

// r9 = the RunContext (the helper's sixth argument), with its stack bounds covering this frame.
void Emitter::set_helper_stack_lo() {
  mov(r9, qword[r12 + jit_off::kRc]);
  if (frames_) {
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

// A bpf_map_lookup_elem the code can do itself: r1 at the call is the value of an lddw of one map in
// the call's own block (no other write to r1 in between), the map has a shortcut replacing exactly
// the helper being called, and the key (r2) lies, proven, in the current stack frame — so the
// helper's own checks (map argument, key readable) cannot fail.
const MapLookupShortcut* Emitter::map_lookup_shortcut(size_t call) const {
  if (input_.map_shortcuts.empty() || input_.helper_fns[call] == nullptr) {
    return nullptr;
  }
  size_t leader = call;
  while (!analysis_.leader[leader]) {
    --leader;
  }
  const MapLookupShortcut* found = nullptr;
  for (size_t j = leader; j < call; j += program_.op_at(j)->form == Form::kLddw ? 2 : 1) {
    const OpInfo& info = *program_.op_at(j);
    if ((analysis_.writes[j] & (1u << 1)) != 0) {
      found = info.form == Form::kLddw && j < input_.map_shortcuts.size() ? &input_.map_shortcuts[j] : nullptr;
    }
  }
  if (found == nullptr || found->replaces != input_.helper_fns[call]) {
    return nullptr;
  }
  uint32_t key_bytes = found->key_size;
  if (found->kind == MapLookupShortcut::Kind::kArray) {
    if (key_bytes != 4 || found->value_stride > static_cast<uint32_t>(INT32_MAX)) {
      return nullptr;
    }
  } else if (found->kind != MapLookupShortcut::Kind::kCall || found->lookup == nullptr) {
    return nullptr;
  }
  const PointerFact& key = analysis_.base[call];
  const bool key_in_frame = key.exactly(PointerFact::Region::kStack) && key.offset >= -static_cast<int64_t>(frame_) &&
                            static_cast<int64_t>(key.offset) + key_bytes <= 0;
  return key_in_frame ? found : nullptr;
}

// An array lookup, inline (r1-r5 are left alone, as the interpreter leaves them):
//   mov eax, [rsi]; cmp eax, max_entries; jae null
//   imul rax, rax, stride (or shl); mov r11, values; add rax, r11; jmp done
//   null: xor eax, eax; done:
void Emitter::emit_array_lookup(const MapLookupShortcut& s) {
  mov(eax, dword[rsi]);
  cmp(eax, s.max_entries);
  const size_t null = skip_forward(Cc::kAe);
  if (s.value_stride != 0 && (s.value_stride & (s.value_stride - 1)) == 0) {
    const int shift = __builtin_ctz(s.value_stride);
    if (shift != 0) {
      shl(rax, shift);
    }
  } else {
    imul(rax, rax, static_cast<int32_t>(s.value_stride));
  }
  mov(r11, s.values);
  add(rax, r11);
  const size_t done = skip_forward_always();
  land(null);
  xor_(eax, eax);
  land(done);
}

// Any other map: its own lookup, called directly (rsi already holds the key).
//   mov rdi, map; mov rax, lookup; call rax
void Emitter::emit_direct_lookup(const MapLookupShortcut& s) {
  mov(rdi, reinterpret_cast<uint64_t>(s.map));
  mov(rax, reinterpret_cast<uint64_t>(s.lookup));
  call(rax);
}

// r1-r5 are already in rdi, rsi, rdx, rcx, r8; the result arrives in rax, which is r0.
void Emitter::emit_call_helper(const Insn& in, uint8_t /*arg*/) {
  if (const MapLookupShortcut* s = shortcuts_[in.index]) {
    if (s->kind == MapLookupShortcut::Kind::kArray) {
      emit_array_lookup(*s);
      stats_.inlined_lookups += slow_copy_ ? 0 : 1;
    } else {
      emit_direct_lookup(*s);
      stats_.direct_lookups += slow_copy_ ? 0 : 1;
    }
    return;
  }
  note_callback_call(in);
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
  note_callback_call(in);
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

// A helper that may call back learns which instruction called it (for the errors of the callback
// machinery) from the state: mov dword [r12 + call_insn], index
void Emitter::note_callback_call(const Insn& in) {
  if (callbacks_ && in.index < input_.calls_back.size() && input_.calls_back[in.index]) {
    mov(dword[r12 + jit_off::kCallInsn], static_cast<uint32_t>(in.index));
  }
}

// JitReturn callback_entry(const uint64_t* args, JitState* parent, const void* target, uint64_t r10):
// a frame laid out like the main one (the same pushes, the same reservation), whose state is a copy
// of the parent's, so the shared epilogue and fault exits return from here, to the helper that called
// back, and never unwind the helper's own frames. The subprogram is entered with a native call, like
// a local call, and its exit returns here (r10 is never the main frame's).
//   push ...; sub rsp, frame_bytes; r12 = rsp; copy *parent; parent = rsi; rbp = r10
//   rc->engine_state = r12; [zero the frame]; r11 = target; r1-r5 = args; r0, r6-r9 = 0
//   sub rsp, 8; call r11; add rsp, 8; [budget back to the parent]; status 0; leave
void Emitter::emit_callback_entry() {
  callback_entry_ = static_cast<uint32_t>(getSize());
  emit_frame_setup();
  for (size_t k = 0; k < sizeof(JitState) / 8; ++k) {
    load(8, false, 10, 6, static_cast<int32_t>(8 * k));
    store(8, 10, 12, static_cast<int32_t>(8 * k));
  }
  store(8, 6, 12, jit_off::kParent);
  store_imm(4, 0, 12, jit_off::kExit);
  mov(rbp, rcx);
  mov(r9, qword[r12 + jit_off::kRc]);
  store(8, 12, 9, jit_off::kRcEngineState);
  if (options_.zero_stack) {
    emit_zero_frame();
  }
  mov(r11, rdx);
  mov(r8, qword[rdi + 32]);
  mov(rcx, qword[rdi + 24]);
  mov(rdx, qword[rdi + 16]);
  mov(rsi, qword[rdi + 8]);
  mov(rdi, qword[rdi]);
  xor_(eax, eax);
  for (const Xbyak::Reg64& r : saved_) {
    if (r == rbx || r == r13 || r == r14 || r == r15) {
      xor_(r.cvt32(), r.cvt32());
    }
  }
  sub(rsp, 8);  // the body runs with rsp 16-byte aligned, as after the prologue
  call(r11);
  add(rsp, 8);
  emit_budget_writeback();
  xor_(edx, edx);
  emit_leave();
}

// A callback's state hands the instructions left back to its parent's when it ends (keeps rax).
//   mov r11, [r12 + parent]; test r11, r11; jz 1f; mov r10, [r12 + budget]; mov [r11 + budget], r10; 1:
void Emitter::emit_budget_writeback() {
  if (!callbacks_ || !budgeted_) {
    return;
  }
  load(8, false, 11, 12, jit_off::kParent);
  test(r11, r11);
  const size_t main_frame = skip_forward(Cc::kE);
  load(8, false, 10, 12, jit_off::kBudget);
  store(8, 10, 11, jit_off::kBudget);
  land(main_frame);
}

std::vector<std::pair<uint32_t, uint32_t>> Emitter::callback_offsets() const {
  std::vector<std::pair<uint32_t, uint32_t>> out;
  out.reserve(analysis_.callback_targets.size());
  for (const uint32_t slot : analysis_.callback_targets) {
    out.emplace_back(slot, block_pos_[slot]);
  }
  return out;
}

void Emitter::emit_call_kfunc(const Insn& /*in*/, uint8_t /*arg*/) {
  throw std::logic_error("kfunc calls are not supported");  // refused before compilation
}

// exit: in the main frame, the epilogue; in a local call, ret to the caller.
void Emitter::emit_exit(const Insn& /*in*/, uint8_t /*arg*/) {
  if (!frames_) {
    emit_return_from_main();
    return;
  }
  cmp(rbp, qword[r12 + jit_off::kStackHi]);
  jump(Cc::kE, Ref::exit(Exit::kEpilogue));
  ret();
}

}  // namespace bpfrt
