// The emitter behind compile_jit: an xbyak CodeGenerator with one member per instruction family.
// jit_emitter.cpp holds the driver (prologue, blocks, budget counting, epilogue, out-of-line stubs)
// and the opcode table; jit_emit_alu.cpp, jit_emit_mem.cpp and jit_emit_flow.cpp the families.
// Internal to src/vm/jit. Not thread-safe: one Emitter per compilation.
#pragma once

#include <deque>
#include <vector>

#include <xbyak/xbyak.h>

#include "vm/jit/jit_analysis.hpp"
#include "vm/jit/jit_compiler.hpp"
#include "vm/jit/jit_layout.hpp"

namespace bpfrt {

// The instruction being emitted.
struct Insn {
  size_t index;
  const Instruction& raw;
  const OpInfo& info;
};

// Operation selectors carried in the opcode table.
enum class AluOp : uint8_t { kAdd, kSub, kAnd, kOr, kXor, kMov, kMul, kNeg, kLsh, kRsh, kArsh };
enum class DivOp : uint8_t { kDiv, kMod, kSdiv, kSmod };
enum class Cond : uint8_t { kEq, kNe, kSet, kGt, kGe, kLt, kLe, kSgt, kSge, kSlt, kSle };
enum class AtomicOp : uint8_t { kAdd, kOr, kAnd, kXor, kXchg, kCmpxchg };
enum class EndianOp : uint8_t { kLe, kSwap };

class Emitter : public Xbyak::CodeGenerator {
 public:
  Emitter(const JitInput& input, const ProgramAnalysis& analysis, const JitCompileOptions& options);

  // Emits the whole program. Throws Xbyak::Error on assembler failure (compile_jit catches it).
  void emit_program();
  const JitStats& stats() const { return stats_; }
  const JitNeeds& needs() const { return needs_; }

  // One handler per instruction family; `arg` is the table's selector (AluOp, Cond, ...).
  using Handler = void (Emitter::*)(const Insn&, uint8_t arg);
  void emit_alu(const Insn& in, uint8_t arg);
  void emit_div(const Insn& in, uint8_t arg);
  void emit_movsx(const Insn& in, uint8_t bits);
  void emit_endian(const Insn& in, uint8_t arg);
  void emit_lddw(const Insn& in, uint8_t arg);
  void emit_load(const Insn& in, uint8_t is_signed);
  void emit_store(const Insn& in, uint8_t arg);
  void emit_atomic(const Insn& in, uint8_t arg);
  void emit_packet_load(const Insn& in, uint8_t arg);
  void emit_ja(const Insn& in, uint8_t arg);
  void emit_jcc(const Insn& in, uint8_t arg);
  void emit_call_helper(const Insn& in, uint8_t arg);
  void emit_call_local(const Insn& in, uint8_t arg);
  void emit_call_kfunc(const Insn& in, uint8_t arg);
  void emit_callx(const Insn& in, uint8_t arg);
  void emit_exit(const Insn& in, uint8_t arg);

 private:
  // Out-of-line code, emitted after the body so hot paths fall straight through.
  struct Stub {
    enum class Kind : uint8_t {
      kAccess,        // the slower bounds checks of one access, then its fault
      kFault,         // record fault_insn (and fault_access) and leave through a common exit
      kBudgetRefill,  // give back the block's count and run its counted copy
      kCallxSlow      // look a callx target up out of line; `common` is the bad-call fault
    };
    Kind kind;
    Xbyak::Label* entry;
    Xbyak::Label* resume;  // kAccess: where an in-bounds access continues; kBudgetRefill: counted copy
    uint32_t insn;
    uint32_t value;        // kAccess/kFault: width | write << 8; kBudgetRefill: the block's count
    uint8_t tried;         // kAccess: regions the inline check already tried (kTriedCtx/kTriedStack)
    Xbyak::Label* common;  // kFault: the shared exit to jump to; kCallxSlow: the fault stub
  };
  static constexpr uint8_t kTriedCtx = 1, kTriedStack = 2;

  Xbyak::Label& new_label() { return labels_.emplace_back(); }
  const Xbyak::Reg64& reg(int bpf) const;
  void emit_insn(size_t index);
  void emit_prologue();
  void emit_epilogue();
  void emit_return_from_main();
  void emit_common_exits();
  void emit_counted_blocks();
  void emit_stub(const Stub& stub);
  void emit_access_stub(const Stub& stub);
  void emit_zero_frame();
  void emit_region_check_routine();
  void emit_callx_resolve_routine();
  // A new out-of-line stub that records the fault of instruction `insn` and leaves through `common`;
  // returns its entry label for the caller to jump to.
  Xbyak::Label& fault_stub(size_t insn, Xbyak::Label& common, uint32_t value = 0);

  // The operand for an access of `width` bytes at [base + off], after emitting its bounds check.
  // Atomics always get [r11] with r11 = the address, and an alignment check.
  Xbyak::Address access(const Insn& in, int base, int width, bool write, bool atomic);
  bool access_is_safe(const Insn& in, int base, int width) const;
  Xbyak::Address sized(int width, const Xbyak::RegExp& where) const;
  void fetch_atomic_loop(const Insn& in, AtomicOp op, int width);
  void divide(const Insn& in, DivOp op, bool is64, const Xbyak::Reg& divisor);
  void divide_by_constant(const Insn& in, DivOp op, bool is64);
  void shift_by_register(const Insn& in, AluOp op, bool is64);
  void jump_if(Cond cond, const Xbyak::Label& target);
  void after_helper_call(const Insn& in);
  void set_helper_stack_lo();

  const JitInput& input_;
  const Program& program_;
  const EngineOptions& options_;
  const ProgramAnalysis& analysis_;
  const JitCompileOptions& copts_;
  const int32_t frame_;  // stack bytes per frame
  const bool budgeted_;
  const bool has_regions_;
  const Xbyak::Reg64 bpf_regs_[kNumRegisters];

  std::vector<Xbyak::Label> leader_;   // per slot: the normal copy of each block
  std::vector<Xbyak::Label> counted_;  // per slot: the per-instruction counted copy (budgeted only)
  std::deque<Xbyak::Label> labels_;    // stub labels; a deque keeps them in place
  std::vector<Stub> stubs_;
  Xbyak::Label epilogue_, fault_exit_, return_zero_;
  Xbyak::Label oob_exit_, misaligned_exit_, budget_exit_, depth_exit_, bad_call_exit_, stopped_exit_;
  Xbyak::Label region_check_, callx_resolve_;
  bool uses_callx_ = false;
  bool counting_ = false;  // emitting a counted copy: every block end jumps back to the normal copy
  JitStats stats_;
  JitNeeds needs_;
};

}  // namespace bpfrt
