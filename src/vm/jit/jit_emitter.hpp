// The emitter behind compile_jit: an xbyak CodeGenerator with one member per instruction family.
// jit_emitter.cpp holds the driver (prologue, blocks, budget counting, epilogue, out-of-line stubs)
// and the opcode table; jit_emit_alu.cpp, jit_emit_mem.cpp and jit_emit_flow.cpp the families.
// Internal to src/vm/jit. Not thread-safe: one Emitter per compilation.
#pragma once

#include <vector>

#include <xbyak/xbyak.h>

#include "vm/jit/jit_analysis.hpp"
#include "vm/jit/jit_combine.hpp"
#include "vm/jit/jit_compiler.hpp"
#include "vm/jit/jit_layout.hpp"
#include "vm/jit/jit_unwind.hpp"

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
  bool direct() const { return direct_; }
  // Where the callback entry starts (kUnbound without one), and the lddw func targets' code offsets.
  uint32_t callback_entry() const { return callback_entry_; }
  std::vector<std::pair<uint32_t, uint32_t>> callback_offsets() const;
  // How each frame is built, for the unwind information.
  const std::vector<JitFrameLayout>& frame_layouts() const { return frame_layouts_; }

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
  // Branch targets. The body's blocks, their slow copies, the stubs and the shared exits are
  // resolved by the emitter's own fixup list rather than xbyak labels: a program has a target per
  // block and per checked access, and xbyak's hash-table labels would dominate compile time.
  enum class Exit : uint8_t {
    kEpilogue,      // the main frame's return (rax = r0)
    kFaultExit,     // unwinds local calls first
    kReturnZero,    // short legacy packet load: r0 = 0
    kOutOfBounds,   // r11 = address
    kMisaligned,    // r11 = address
    kBudget,        //
    kCallDepth,     //
    kBadCall,       // r10 = the callx value
    kStopped,       // a helper stopped the run
    kRegionCheck,   // routine: r11 = address, r10d = access word; ZF clear if inside a region
    kCallxResolve,  // routine: r10 = callx value; r11 = helper or 0
    kCount
  };
  struct Ref {
    enum class Kind : uint8_t { kBlock, kSlow, kStub, kExit, kRoutine };
    Kind kind;
    uint32_t index;
    static Ref block(size_t slot) { return {Kind::kBlock, static_cast<uint32_t>(slot)}; }
    static Ref slow(size_t slot) { return {Kind::kSlow, static_cast<uint32_t>(slot)}; }
    static Ref stub(size_t k) { return {Kind::kStub, static_cast<uint32_t>(k)}; }
    static Ref exit(Exit e) { return {Kind::kExit, static_cast<uint32_t>(e)}; }
    static Ref routine(uint32_t key) { return {Kind::kRoutine, key}; }
  };
  // x86 condition codes, as in the low nibble of jcc.
  enum class Cc : uint8_t {
    kB = 0x2,
    kAe = 0x3,
    kE = 0x4,
    kNe = 0x5,
    kBe = 0x6,
    kA = 0x7,
    kS = 0x8,
    kL = 0xc,
    kGe = 0xd,
    kLe = 0xe,
    kG = 0xf
  };

  // Out-of-line code, emitted after the body so hot paths fall straight through.
  struct Stub {
    enum class Kind : uint8_t {
      kAccess,        // the slower bounds checks of one access, then its fault
      kFault,         // record fault_insn (and fault_access) and leave through `exit`
      kBudgetRefill,  // give back the block's count and run its slow copy (`insn` is the block)
      kCallxSlow      // look a callx target up out of line; `fault` is the bad-call stub
    };
    Kind kind;
    uint32_t insn;
    uint32_t value = 0;           // kAccess/kFault: width | write << 8; kBudgetRefill: the block's count
    uint32_t resume = 0;          // kAccess, kCallxSlow: code offset where the fast path continues
    uint8_t tried = 0;            // kAccess: regions the inline check already tried (kTriedCtx/kTriedStack)
    Exit exit = Exit::kEpilogue;  // kFault
    int8_t base = -1;             // kAccess: compute r11 = [base + off] first (the inline check did not)
    int32_t off = 0;
    uint32_t fault = 0;  // kCallxSlow: the stub index of its bad-call fault
  };
  static constexpr uint8_t kTriedCtx = 1, kTriedStack = 2;
  static constexpr uint32_t kUnbound = UINT32_MAX;

  // Branches: jcc / jmp / call rel32 to a target, rel8 when it is already bound and near.
  void jump(Cc cc, Ref target);
  void jump(Ref target);
  void call_to(Ref target);
  void jump_back(Cc cc, uint32_t pos);  // to a bound offset
  void jump_back(uint32_t pos);
  size_t skip_forward(Cc cc);  // a short jcc over the next few bytes; land() binds its target here
  size_t skip_forward_always();
  void land(size_t skip);
  void bind(Ref target);
  uint32_t& position(Ref target);
  void resolve_fixups();
  // Adds a stub and returns a reference to it.
  Ref add_stub(const Stub& stub);
  // A stub that records the fault of instruction `insn` (and `value`) and leaves through `exit`.
  Ref fault_stub(size_t insn, Exit exit, uint32_t value = 0);

  // An instruction with a [base + disp] operand, encoded directly (jit_encode.cpp).
  struct MemForm {
    bool rex_w;
    bool prefix66;
    bool byte_reg;  // the reg field names a byte register
    uint8_t opcode_len;
    uint8_t opcode[2];
  };
  void mem_form(const MemForm& form, int reg_field, int base, int32_t disp);
  // Register-only forms encoded directly as well (x86 register numbers):
  static constexpr size_t kMaxInsnBytes = 16;
  uint8_t* reserve();                                        // room for one instruction at the end of the code
  void commit(size_t count);                                 // the instruction written there is `count` bytes
  void alu_ri(int digit, bool is64, int dst, int32_t imm);   // 0x83/0x81 /digit: add or and sub xor cmp
  void alu_rr(uint8_t opcode, bool is64, int dst, int src);  // opcode r/m=dst, reg=src (0x01 add, 0x39 cmp, ...)
  void test_ri(bool is64, int dst, uint32_t imm);            // test dst, imm32
  void load(int width, bool sign, int dst, int base, int32_t disp);  // mov/movzx/movsx dst, [base+disp]
  void store(int width, int src, int base, int32_t disp);            // mov [base+disp], src
  void store_imm(int width, int32_t imm, int base, int32_t disp);    // mov [base+disp], imm
  void lea_to(int dst, int base, int32_t disp);                      // lea dst, [base+disp]
  void cmp_mem_imm(int base, int32_t disp, int32_t imm);             // cmp qword [base+disp], imm
  void cmp_reg_mem(int reg, int base, int32_t disp);                 // cmp reg, qword [base+disp]
  const Xbyak::Reg64& reg(int bpf) const;
  void emit_insn(size_t index);
  void plan_fast_block(size_t leader);  // load combining for the block's normal copy
  void emit_fast_insn(size_t index);    // an instruction of a block's normal copy, as planned
  void emit_wide_load(const Insn& in, const SlotRewrite& r);
  void emit_prologue();
  void emit_lean_prologue();
  void zero_unwritten_registers();
  void emit_epilogue();
  void emit_return_from_main();
  void emit_leave();  // release the frame, restore the callee-saved registers, ret
  void emit_common_exits();
  void emit_slow_copies();
  void emit_merged_checks(size_t block);
  void emit_stub(const Stub& stub);
  void emit_access_stub(const Stub& stub);
  void emit_zero_frame();
  void emit_region_check_routine();
  void emit_access_routines();
  static uint32_t access_routine_key(uint32_t width, bool write, uint8_t tried);
  void emit_callx_resolve_routine();
  void emit_callback_entry();
  void emit_frame_setup();  // push the saved registers, reserve the frame, r12 = rsp; records a layout
  void emit_budget_writeback();
  void note_callback_call(const Insn& in);

  // The operand for an access of `width` bytes at [base + off], after emitting its bounds check.
  // Atomics always get [r11] with r11 = the address, and an alignment check.
  enum class Check : uint8_t {
    kNone,        // proven in bounds (or checks off): no code
    kCtxLength,   // the base is exactly ctx + k: compare k + off + width with the context length
    kCtxFirst,    // unknown address: context bounds inline, then stack and regions out of line
    kStackFirst,  // an address derived from r10 (or a store to a read-only context): stack first
  };
  Check check_kind(size_t index) const;
  struct Operand {
    int base;  // x86 register number
    int32_t disp;
  };
  Operand access(const Insn& in, int base, int width, bool write, bool atomic);
  Xbyak::Address sized(int width, const Xbyak::RegExp& where) const;
  void fetch_atomic_loop(const Insn& in, AtomicOp op, int width);
  void divide(const Insn& in, DivOp op, bool is64, const Xbyak::Reg& divisor);
  void divide_by_constant(const Insn& in, DivOp op, bool is64);
  void shift_by_register(const Insn& in, AluOp op, bool is64);
  static Cc condition_code(Cond cond);
  void after_helper_call(const Insn& in);
  const MapLookupShortcut* map_lookup_shortcut(size_t call) const;
  void emit_array_lookup(const MapLookupShortcut& s);
  void emit_direct_lookup(const MapLookupShortcut& s);
  void set_helper_stack_lo();
  bool scratch_registers_unused() const;
  void use_caller_saved_registers();

  const JitInput& input_;
  const Program& program_;
  const EngineOptions& options_;
  const ProgramAnalysis& analysis_;
  const JitCompileOptions& copts_;
  const int32_t frame_;  // stack bytes per frame
  const bool budgeted_;
  const bool has_regions_;
  Xbyak::Reg64 bpf_regs_[kNumRegisters];  // BPF register -> x86 register (lean leaves may remap r6-r9)

  std::pmr::vector<uint32_t> block_pos_;  // per slot: code offset of the block starting there
  // per slot: the block's slow copy, which checks every access on its own and, in budgeted programs,
  // pays for one instruction at a time. Entered when a block-wide check or the budget falls short.
  std::pmr::vector<uint32_t> slow_pos_;
  std::pmr::vector<uint32_t> slow_blocks_;  // blocks with a slow copy, in program order
  std::pmr::vector<uint8_t> merged_;        // per slot: an access covered by its block's merged check
  bool any_checks_ = false;                 // some access has a run-time check
  std::pmr::vector<Check> checks_;          // per slot: check_kind of each load, store and atomic
  std::pmr::vector<uint32_t> stub_pos_;     // per stub
  uint32_t exit_pos_[static_cast<int>(Exit::kCount)];
  uint32_t routine_pos_[32];           // access_check routines by access_routine_key
  uint32_t used_access_routines_ = 0;  // bit per routine key
  struct Fixup {
    uint32_t at;  // offset of the rel32 field
    Ref target;
  };
  std::pmr::vector<Fixup> fixups_;
  std::pmr::vector<Stub> stubs_;
  std::vector<Xbyak::Reg64> saved_;  // callee-saved registers the prologue pushes, in order
  int stack_pad_ = 0;                // bytes below the pushes that keep rsp 16-byte aligned
  bool uses_frame_ = false;          // rbp (BPF r10) is set up
  bool uses_callx_ = false;
  // Subprogram frames below the main one exist: local calls or callbacks. Exits then check whether
  // they leave the main frame, and helper calls tell the RunContext which frame is current.
  bool frames_ = false;
  bool callbacks_ = false;  // the program calls helpers that may run callbacks
  // per slot: the map lookup a helper call is replaced by (null: the helper is called)
  std::pmr::vector<const MapLookupShortcut*> shortcuts_;
  bool helper_calls_ = false;  // some helper is really called (callx, or a call not replaced)
  uint32_t callback_entry_ = kUnbound;
  std::vector<JitFrameLayout> frame_layouts_;
  // Which optional JitState fields the prologue fills.
  struct Needs {
    bool depth = false;         // deepest_r10
    bool ctx_bounds = false;    // ctx_lo, ctx_end, ctx_last
    bool stack_bounds = false;  // stack_last
  } needs_;
  bool native_stack_ = false;  // the frames live in the code's native frame (else args->stack_top)
  bool direct_ = false;
  bool lean_ = false;        // direct, and nothing can fault: no JitState, no r12
  int32_t frame_bytes_ = 0;  // what the prologue reserves below the pushes: state, frames, padding
  bool slow_copy_ = false;   // emitting a slow copy: every block end jumps back to the normal code
  LoadCombiner combiner_;
  std::pmr::vector<SlotRewrite> rewrites_;  // per slot, for the blocks' normal copies (if combining)
  std::pmr::vector<uint8_t> unchecked_;     // per slot: an access without a check of its own there
  JitStats stats_;
};

}  // namespace bpfrt
