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

bool Emitter::access_is_safe(const Insn& in, int /*base*/, int width) const {
  if (!options_.bounds_checks) {
    return true;
  }
  if (!options_.proven_safe.empty() && options_.proven_safe[in.index]) {
    return true;
  }
  const PointerFact& fact = analysis_.base[in.index];
  if (fact.kind != PointerFact::Kind::kStackAt) {
    return false;
  }
  const int64_t start = fact.offset + in.raw.offset;  // relative to this frame's r10
  return start >= -static_cast<int64_t>(frame_) && start + width <= 0;
}

Xbyak::Address Emitter::access(const Insn& in, int base, int width, bool write, bool atomic) {
  const Xbyak::Reg64& b = reg(base);
  const int32_t off = in.raw.offset;
  const bool safe = access_is_safe(in, base, width);
  if (!counting_) {
    ++(safe ? stats_.proven_accesses : stats_.checked_accesses);
  }
  if (safe && !atomic) {
    return sized(width, b + off);
  }
  lea(r11, ptr[b + off]);
  const uint32_t access_word = static_cast<uint32_t>(width) | (write ? 0x100u : 0u);
  if (!safe) {
    const int w = width_index(width);
    const bool ctx_ok = !write || options_.ctx_writable;
    const bool stack_first = analysis_.base[in.index].kind != PointerFact::Kind::kUnknown || !ctx_ok;
    Xbyak::Label& slow = new_label();
    Xbyak::Label& resume = new_label();
    needs_.ctx_bounds = true;
    needs_.stack_bounds = true;
    if (stack_first) {
      // lea r10, [rbp - frame]; cmp r11, r10; jb slow; cmp r11, [stack_last]; ja slow
      lea(r10, ptr[rbp - frame_]);
      cmp(r11, r10);
      jb(slow);
      cmp(r11, qword[r12 + jit_off::kStackLast + 8 * w]);
      ja(slow);
    } else {
      // cmp r11, [ctx_lo]; jb slow; cmp r11, [ctx_last]; ja slow
      cmp(r11, qword[r12 + jit_off::kCtxLo]);
      jb(slow);
      cmp(r11, qword[r12 + jit_off::kCtxLast + 8 * w]);
      ja(slow);
    }
    L(resume);
    stubs_.push_back(Stub{Stub::Kind::kAccess, &slow, &resume, static_cast<uint32_t>(in.index), access_word,
                          stack_first ? kTriedStack : kTriedCtx, nullptr});
  }
  if (atomic) {
    const PointerFact& fact = analysis_.base[in.index];
    if (fact.kind == PointerFact::Kind::kStackAt) {
      // r10 is 8-byte aligned in both engines, so the alignment is known now.
      if ((fact.offset + off) % width != 0) {
        jmp(fault_stub(in.index, misaligned_exit_, access_word));
      }
    } else {
      test(r11.cvt8(), width - 1);  // test r11b, width-1; jnz misaligned
      jnz(fault_stub(in.index, misaligned_exit_, access_word));
    }
  }
  return sized(width, r11);
}

// The regions the inline check did not try, then the registered regions, then the fault.
void Emitter::emit_access_stub(const Stub& stub) {
  const int width = static_cast<int>(stub.value & 0xff);
  const bool write = (stub.value & 0x100) != 0;
  const int w = width_index(width);
  if ((stub.tried & kTriedCtx) == 0 && (!write || options_.ctx_writable)) {
    Xbyak::Label& next = new_label();
    cmp(r11, qword[r12 + jit_off::kCtxLo]);
    jb(next);
    cmp(r11, qword[r12 + jit_off::kCtxLast + 8 * w]);
    jbe(*stub.resume);
    L(next);
  }
  if ((stub.tried & kTriedStack) == 0) {
    Xbyak::Label& next = new_label();
    lea(r10, ptr[rbp - frame_]);
    cmp(r11, r10);
    jb(next);
    cmp(r11, qword[r12 + jit_off::kStackLast + 8 * w]);
    jbe(*stub.resume);
    L(next);
  }
  if (has_regions_) {
    mov(r10d, stub.value);  // mov r10d, access; call region_check; jnz resume
    call(region_check_);
    jnz(*stub.resume);
  }
  mov(dword[r12 + jit_off::kFaultInsn], stub.insn);
  mov(dword[r12 + jit_off::kFaultAccess], stub.value);
  jmp(oob_exit_);
}

// In: r11 = address, r10d = width | write << 8. Out: ZF clear if a registered region holds the
// access. Keeps every BPF register.
void Emitter::emit_region_check_routine() {
  L(region_check_);
  const Xbyak::Reg64 saved[] = {rax, rdi, rsi, rdx, rcx, r8, r11};  // 7 pushes + return address: aligned
  for (const auto& r : saved) {
    push(r);
  }
  mov(rdi, qword[r12 + jit_off::kEngine]);
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
  const Xbyak::Address m = access(in, in.raw.src, width, false, false);
  const Xbyak::Reg64& d = reg(in.raw.dst);
  if (is_signed != 0) {
    width == 4 ? movsxd(d, m) : movsx(d, m);  // ldxs: movsx dst, [addr]
  } else if (width == 8) {
    mov(d, m);  // ldxdw: mov dst, [addr]
  } else if (width == 4) {
    mov(d.cvt32(), m);
  } else {
    movzx(d.cvt32(), m);  // ldxb/ldxh: movzx dst32, [addr]
  }
}

void Emitter::emit_store(const Insn& in, uint8_t /*arg*/) {
  const int width = access_size(in.info);
  const Xbyak::Address m = access(in, in.raw.dst, width, true, false);
  if (in.info.form == Form::kStoreImm) {
    const int32_t k = in.raw.imm;  // stdw sign-extends it
    const uint64_t value = width == 1   ? static_cast<uint8_t>(k)
                           : width == 2 ? static_cast<uint16_t>(k)
                           : width == 4 ? static_cast<uint32_t>(k)
                                        : static_cast<uint64_t>(static_cast<int64_t>(k));
    mov(m, value);  // mov [addr], imm
    return;
  }
  const Xbyak::Reg64& s = reg(in.raw.src);
  switch (width) {
    case 1:
      mov(m, s.cvt8());
      break;
    case 2:
      mov(m, s.cvt16());
      break;
    case 4:
      mov(m, s.cvt32());
      break;
    default:
      mov(m, s);
      break;
  }
}

void Emitter::emit_atomic(const Insn& in, uint8_t arg) {
  const auto op = static_cast<AtomicOp>(arg);
  const int width = access_size(in.info);
  const bool fetch = (in.raw.imm & op::kAtomicFetch) != 0;
  const Xbyak::Address m = access(in, in.raw.dst, width, true, true);
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
      jmp(return_zero_);
      return;
    }
    // mov r10, k + width; cmp [packet_len], r10; jb return_zero; mov r11, [packet]
    mov(r10, static_cast<uint64_t>(k + width));
    cmp(qword[r12 + jit_off::kPacketLen], r10);
    jb(return_zero_);
    mov(r11, qword[r12 + jit_off::kPacket]);
    where = r11 + static_cast<int32_t>(k);
  } else {
    // mov r10d, src32; add r10d, imm; movsxd r10, r10d; test r10, r10; js return_zero
    // lea r11, [r10 + width]; cmp r11, [packet_len]; ja return_zero; mov r11, [packet]
    mov(r10d, reg(in.raw.src).cvt32());
    add(r10d, static_cast<uint32_t>(in.raw.imm));
    movsxd(r10, r10d);
    test(r10, r10);
    js(return_zero_);
    lea(r11, ptr[r10 + width]);
    cmp(r11, qword[r12 + jit_off::kPacketLen]);
    ja(return_zero_);
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
