// Loads, stores, atomics and legacy packet loads, and the bounds checks in front of them.
//
// A checked access computes its address into r11 and compares it inline against the region it most
// likely hits (the stack for bases derived from r10, else the context); the other regions are tried
// out of line, then the registered regions through Engine::in_registered_region, then the run faults.
// Accesses proven to stay inside the current stack frame, marked proven_safe, or compiled with
// bounds_checks off use the base register directly.
#include "vm/jit/jit_emitter.hpp"

namespace bpfrt {
namespace {

// Engine::in_registered_region for JIT'd code (SysV: rdi, rsi, rdx, rcx; 0 or 1 in rax).
uint64_t jit_in_region(const Engine* engine, uint64_t addr, uint64_t len, uint64_t write) {
  return engine->in_registered_region(addr, len, write != 0) ? 1 : 0;
}

}  // namespace

Xbyak::Address Emitter::sized(int width, const Xbyak::RegExp& where) const {
  switch (width) {
    case 1:
      return byte[where];
    case 2:
      return word[where];
    case 4:
      return dword[where];
    default:
      return qword[where];
  }
}

// How the access of a load, store or atomic at `index` is checked.
Emitter::Check Emitter::check_kind(size_t index) const {
  const OpInfo& info = *program_.op_at(index);
  const Instruction& insn = program_[index];
  const int width = access_size(info);
  const bool write = info.form != Form::kLoad;
  if (!options_.bounds_checks || (!options_.proven_safe.empty() && options_.proven_safe[index])) {
    return Check::kNone;
  }
  const PointerFact& fact = analysis_.base[index];
  const int64_t start = fact.offset + insn.offset;
  if (fact.exactly(PointerFact::Region::kStack) && start >= -static_cast<int64_t>(frame_) && start + width <= 0) {
    return Check::kNone;  // inside the current frame, whatever r10 is
  }
  const bool ctx_ok = !write || options_.ctx_writable;
  if (ctx_ok && fact.exactly(PointerFact::Region::kCtx) && start >= 0 && start + width <= INT32_MAX) {
    return Check::kCtxLength;
  }
  return fact.is(PointerFact::Region::kStack) || !ctx_ok ? Check::kStackFirst : Check::kCtxFirst;
}

// Checks the access of `width` bytes at [base + off] and returns the operand to reach it through.
//   context + k:  cmp qword [ctx_len], k + off + width; jb slow
//   otherwise:    lea r11, [base + off], then the likelier region's bounds inline, the rest in `slow`
// Atomics always get [r11] with r11 = the address, and an alignment check.
Emitter::Operand Emitter::access(const Insn& in, int base, int width, bool write, bool atomic) {
  const Xbyak::Reg64& b = reg(base);
  const int b_idx = b.getIdx();
  const int32_t off = in.raw.offset;
  // In the normal code, an access covered by its block's merged check needs none of its own.
  const Check check = !slow_copy_ && merged_[in.index] ? Check::kNone : checks_[in.index];
  if (!slow_copy_) {
    ++(check == Check::kNone ? stats_.proven_accesses : stats_.checked_accesses);
  }
  const uint32_t access_word = static_cast<uint32_t>(width) | (write ? 0x100u : 0u);
  if (check != Check::kNone) {
    const int w = width_index(width);
    Stub stub{.kind = Stub::Kind::kAccess, .insn = static_cast<uint32_t>(in.index), .value = access_word};
    const Ref slow = Ref::stub(stubs_.size());  // the stub is added once its resume point is known
    switch (check) {
      case Check::kCtxLength:
        cmp_mem_imm(12, jit_off::kCtxLen, static_cast<int32_t>(analysis_.base[in.index].offset + off + width));
        jump(Cc::kB, slow);
        stub.base = static_cast<int8_t>(base);  // the stub computes the address itself
        stub.off = off;
        break;
      case Check::kStackFirst:
        // lea r11, [base + off]; lea r10, [rbp - frame]; cmp r11, r10; jb slow; cmp r11, [stack_last]; ja slow
        lea_to(11, b_idx, off);
        lea_to(10, 5, -frame_);
        cmp(r11, r10);
        jump(Cc::kB, slow);
        cmp_reg_mem(11, 12, jit_off::kStackLast + 8 * w);
        jump(Cc::kA, slow);
        stub.tried = kTriedStack;
        break;
      default:
        // lea r11, [base + off]; cmp r11, [ctx_lo]; jb slow; cmp r11, [ctx_last]; ja slow
        lea_to(11, b_idx, off);
        cmp_reg_mem(11, 12, jit_off::kCtxLo);
        jump(Cc::kB, slow);
        cmp_reg_mem(11, 12, jit_off::kCtxLast + 8 * w);
        jump(Cc::kA, slow);
        stub.tried = kTriedCtx;
        break;
    }
    stub.resume = static_cast<uint32_t>(getSize());
    add_stub(stub);
  }
  const bool address_in_r11 = check == Check::kCtxFirst || check == Check::kStackFirst;
  if (!atomic) {
    return address_in_r11 ? Operand{11, 0} : Operand{b_idx, off};
  }
  if (!address_in_r11) {
    lea_to(11, b_idx, off);
  }
  const PointerFact& fact = analysis_.base[in.index];
  if (fact.exactly(PointerFact::Region::kStack)) {
    // r10 is 8-byte aligned in both engines, so the alignment is known now.
    if ((fact.offset + off) % width != 0) {
      jump(fault_stub(in.index, Exit::kMisaligned, access_word));
    }
  } else {
    test(r11.cvt8(), width - 1);  // test r11b, width-1; jnz misaligned
    jump(Cc::kNe, fault_stub(in.index, Exit::kMisaligned, access_word));
  }
  return Operand{11, 0};
}

// An access whose inline check failed: call the shared routine for its kind of access, which tries
// the other regions; back to the access if one holds it, else the fault.
//   [lea r11, [base + off]]; call access_check<width, write, tried>; je resume
//   mov dword [fault_insn], insn; mov dword [fault_access], access; jmp out_of_bounds
void Emitter::emit_access_stub(const Stub& stub) {
  if (stub.base >= 0) {
    lea_to(11, reg(stub.base).getIdx(), stub.off);
  }
  const uint32_t routine = access_routine_key(stub.value & 0xff, (stub.value & 0x100) != 0, stub.tried);
  used_access_routines_ |= uint32_t{1} << routine;
  call_to(Ref::routine(routine));
  jump_back(Cc::kE, stub.resume);
  store_imm(4, static_cast<int32_t>(stub.insn), 12, jit_off::kFaultInsn);
  store_imm(4, static_cast<int32_t>(stub.value), 12, jit_off::kFaultAccess);
  jump(Ref::exit(Exit::kOutOfBounds));
}

uint32_t Emitter::access_routine_key(uint32_t width, bool write, uint8_t tried) {
  return static_cast<uint32_t>(width_index(static_cast<int>(width))) | (write ? 4u : 0u) |
         (static_cast<uint32_t>(tried) << 3);
}

// access_check<width, write, tried>: r11 = the address. Tries, as the interpreter does, the context
// and the active stack frames (those the inline check did not), then the registered regions.
// Returns ZF set if one holds [r11, r11 + width). Clobbers r9 and r10 only.
void Emitter::emit_access_routines() {
  for (uint32_t key = 0; key < 32; ++key) {
    if ((used_access_routines_ & (uint32_t{1} << key)) == 0) {
      continue;
    }
    const int width = 1 << (key & 3);
    const bool write = (key & 4) != 0;
    const auto tried = static_cast<uint8_t>(key >> 3);
    bind(Ref::routine(key));
    std::vector<size_t> inside;
    if ((tried & kTriedCtx) == 0 && (!write || options_.ctx_writable)) {
      // d = addr - ctx; in bounds if d < ctx_len and width <= ctx_len - d
      mov(r10, r11);
      sub(r10, qword[r12 + jit_off::kCtx]);
      cmp(r10, qword[r12 + jit_off::kCtxLen]);
      const size_t next = skip_forward(Cc::kAe);
      mov(r9, qword[r12 + jit_off::kCtxLen]);
      sub(r9, r10);
      cmp(r9, width);
      inside.push_back(skip_forward(Cc::kAe));
      land(next);
    }
    if ((tried & kTriedStack) == 0) {
      // lo = r10 - frame (r10 is stack_hi when rbp is not set up); d = addr - lo; len = stack_hi - lo
      if (uses_frame_) {
        lea(r9, ptr[rbp - frame_]);
      } else {
        mov(r9, qword[r12 + jit_off::kStackHi]);
        sub(r9, frame_);
      }
      mov(r10, r11);
      sub(r10, r9);
      neg(r9);
      add(r9, qword[r12 + jit_off::kStackHi]);
      cmp(r10, r9);
      const size_t next = skip_forward(Cc::kAe);
      sub(r9, r10);
      cmp(r9, width);
      inside.push_back(skip_forward(Cc::kAe));
      land(next);
    }
    if (has_regions_) {
      // mov r10d, access; call region_check; jnz inside
      mov(r10d, static_cast<uint32_t>(width) | (write ? 0x100u : 0u));
      call_to(Ref::exit(Exit::kRegionCheck));
      inside.push_back(skip_forward(Cc::kNe));
    }
    or_(r9d, 1);  // ZF clear: outside every region
    ret();
    for (size_t skip : inside) {
      land(skip);
    }
    xor_(r9d, r9d);  // ZF set
    ret();
  }
}

// In: r11 = address, r10d = width | write << 8. Out: ZF clear if a registered region holds the
// access. Keeps every BPF register. Called from an access_check routine, so two return addresses
// sit above the body's 16-byte aligned rsp: eight pushes keep the call to C++ aligned.
void Emitter::emit_region_check_routine() {
  bind(Ref::exit(Exit::kRegionCheck));
  const Xbyak::Reg64 saved[] = {rax, rdi, rsi, rdx, rcx, r8, r11, r9};
  for (const auto& r : saved) {
    push(r);
  }
  mov(rdi, reinterpret_cast<uint64_t>(input_.engine));
  mov(rsi, r11);
  movzx(edx, r10b);
  mov(ecx, r10d);
  shr(ecx, 8);
  mov(rax, reinterpret_cast<uint64_t>(&jit_in_region));
  call(rax);
  mov(r10d, eax);
  for (auto it = std::rbegin(saved); it != std::rend(saved); ++it) {
    pop(*it);
  }
  test(r10d, r10d);
  ret();
}

void Emitter::emit_load(const Insn& in, uint8_t is_signed) {
  const int width = access_size(in.info);
  const Operand m = access(in, in.raw.src, width, false, false);
  load(width, is_signed != 0, reg(in.raw.dst).getIdx(), m.base, m.disp);  // mov/movzx/movsx dst, [addr]
}

void Emitter::emit_store(const Insn& in, uint8_t /*arg*/) {
  const int width = access_size(in.info);
  const Operand m = access(in, in.raw.dst, width, true, false);
  if (in.info.form == Form::kStoreImm) {
    store_imm(width, in.raw.imm, m.base, m.disp);  // mov [addr], imm (stdw sign-extends it)
  } else {
    store(width, reg(in.raw.src).getIdx(), m.base, m.disp);  // mov [addr], src
  }
}

void Emitter::emit_atomic(const Insn& in, uint8_t arg) {
  const auto op = static_cast<AtomicOp>(arg);
  const int width = access_size(in.info);
  const bool fetch = (in.raw.imm & op::kAtomicFetch) != 0;
  access(in, in.raw.dst, width, true, true);  // the address is in r11
  const Xbyak::Address m = sized(width, r11);
  const Xbyak::Reg64& s64 = reg(in.raw.src);
  const Xbyak::Reg s = width == 8 ? Xbyak::Reg(s64) : Xbyak::Reg(s64.cvt32());
  switch (op) {
    case AtomicOp::kAdd:
      lock();
      fetch ? xadd(m, s) : add(m, s);  // lock xadd [addr], src  /  lock add [addr], src
      return;
    case AtomicOp::kOr:
    case AtomicOp::kAnd:
    case AtomicOp::kXor:
      if (fetch) {
        fetch_atomic_loop(in, op, width);
        return;
      }
      lock();
      op == AtomicOp::kOr ? or_(m, s) : op == AtomicOp::kAnd ? and_(m, s) : xor_(m, s);
      return;
    case AtomicOp::kXchg:
      xchg(m, s);  // implicitly locked
      return;
    case AtomicOp::kCmpxchg:
      lock();
      cmpxchg(m, s);  // lock cmpxchg [addr], src: compares with r0 (rax), old value into r0
      if (width == 4) {
        mov(eax, eax);  // a successful 32-bit cmpxchg leaves rax's upper half alone
      }
      return;
  }
}

// Fetching or/and/xor have no x86 instruction: a cmpxchg loop on [r11], with r0 (rax) parked in r9.
//   mov r9, rax; mov rax, [r11]
//   1: mov r10, rax; op r10, src; lock cmpxchg [r11], r10; jne 1b
//   mov src, rax; mov rax, r9
void Emitter::fetch_atomic_loop(const Insn& in, AtomicOp op, int width) {
  const bool is64 = width == 8;
  auto view = [&](const Xbyak::Reg64& r) { return is64 ? Xbyak::Reg(r) : Xbyak::Reg(r.cvt32()); };
  const int src = in.raw.src;
  const Xbyak::Reg operand = src == 0 ? view(r9) : view(reg(src));  // r0's value now lives in r9
  const Xbyak::Address m = sized(width, r11);
  mov(r9, rax);
  mov(view(rax), m);
  Xbyak::Label retry;
  L(retry);
  mov(view(r10), view(rax));
  op == AtomicOp::kOr    ? or_(view(r10), operand)
  : op == AtomicOp::kAnd ? and_(view(r10), operand)
                         : xor_(view(r10), operand);
  lock();
  cmpxchg(m, view(r10));
  jne(retry);
  if (src != 0) {
    mov(view(reg(src)), view(rax));
    mov(rax, r9);
  } else if (!is64) {
    mov(eax, eax);
  }
}

// ldabs/ldind: r0 = big-endian load from the packet; past its end the program ends with r0 = 0.
void Emitter::emit_packet_load(const Insn& in, uint8_t /*arg*/) {
  const int width = access_size(in.info);
  Xbyak::RegExp where = r11;
  if (in.info.form == Form::kLdAbs) {
    const int64_t k = in.raw.imm;
    if (k < 0) {
      jump(Ref::exit(Exit::kReturnZero));
      return;
    }
    // mov r10, k + width; cmp [packet_len], r10; jb return_zero; mov r11, [packet]
    mov(r10, static_cast<uint64_t>(k + width));
    cmp(qword[r12 + jit_off::kPacketLen], r10);
    jump(Cc::kB, Ref::exit(Exit::kReturnZero));
    mov(r11, qword[r12 + jit_off::kPacket]);
    where = r11 + static_cast<int32_t>(k);
  } else {
    // mov r10d, src32; add r10d, imm; movsxd r10, r10d; test r10, r10; js return_zero
    // lea r11, [r10 + width]; cmp r11, [packet_len]; ja return_zero; mov r11, [packet]
    mov(r10d, reg(in.raw.src).cvt32());
    add(r10d, static_cast<uint32_t>(in.raw.imm));
    movsxd(r10, r10d);
    test(r10, r10);
    jump(Cc::kS, Ref::exit(Exit::kReturnZero));
    lea(r11, ptr[r10 + width]);
    cmp(r11, qword[r12 + jit_off::kPacketLen]);
    jump(Cc::kA, Ref::exit(Exit::kReturnZero));
    mov(r11, qword[r12 + jit_off::kPacket]);
    where = r11 + r10;
  }
  if (width == 1) {
    movzx(eax, byte[where]);
  } else if (width == 2) {
    movzx(eax, word[where]);
    rol(ax, 8);
  } else {
    mov(eax, dword[where]);
    bswap(eax);
  }
}

}  // namespace bpfrt
