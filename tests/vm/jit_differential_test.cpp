// Every ISA corner case through the interpreter and the JIT, compared with compare_engines: each
// operation of each form, over register pairs that hit the x86 registers with special roles (rax and
// rdx in division, rcx in shifts) and over boundary values, with every other register checked for
// clobbering. Runs with and without BMI2 code paths.
#include <algorithm>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "conformance/differential.hpp"
#include "conformance/vector_runner.hpp"
#include "helpers/conformance_helpers.hpp"
#include "test_util.hpp"
#include "vm/jit/jit_engine.hpp"
#include "vm/program_builder.hpp"

namespace bpfrt {
namespace {

using test::ProgramBuilder;

constexpr uint64_t kValues[] = {0,
                                1,
                                2,
                                3,
                                7,
                                31,
                                32,
                                33,
                                63,
                                64,
                                65,
                                0x7f,
                                0x80,
                                0xff,
                                0x8000,
                                0xffff,
                                0x7fffffff,
                                0x80000000,
                                0xffffffff,
                                0x100000000,
                                0x100000001,
                                0x7fffffffffffffff,
                                0x8000000000000000,
                                0xffffffff80000000,
                                0xfffffffffffffffe,
                                0xffffffffffffffff,
                                0x123456789abcdef0};
constexpr int32_t kImms[] = {0, 1, -1, 2, -2, 3, 7, 16, 31, 32, 33, 63, 64, 65, 0x80, 0x10000, 0x7fffffff, INT32_MIN};
constexpr int kDsts[] = {0, 1, 3, 4, 6, 9};
constexpr int kSrcs[] = {0, 3, 4, 5, 9};

JitCompileOptions jit_options(bool bmi2) {
  JitCompileOptions o;
  o.use_bmi2 = bmi2 && cpu_has_bmi2();
  return o;
}

// A register not in `avoid` to hold the context pointer while the cases run.
int pick_base(std::initializer_list<int> avoid) {
  for (int r : {6, 7, 8, 2, 5}) {
    if (std::find(avoid.begin(), avoid.end(), r) == avoid.end()) {
      return r;
    }
  }
  return 7;
}

// Sentinels in every register but the base, then the cases, then every register dumped to memory.
class CaseProgram {
 public:
  explicit CaseProgram(int base) : base_(base) {
    b_.emit(Op::kMov64Reg, base_, 1);
    for (int r = 0; r < 10; ++r) {
      if (r != base_) {
        b_.lddw(r, 0x5a5a5a5a00000000ULL ^ (static_cast<uint64_t>(r) * 0x0101010101ULL));
      }
    }
  }
  ProgramBuilder& body() { return b_; }
  int base() const { return base_; }
  // stxdw [base + 8 * slot], reg
  void record(int reg) { b_.emit(Op::kStxDw, base_, reg, static_cast<int16_t>(8 * slots_++)); }
  int16_t next_slot_offset() const { return static_cast<int16_t>(8 * slots_); }
  void skip_slot() { ++slots_; }
  Program finish(size_t* memory_size) {
    for (int r = 0; r < 10; ++r) {
      if (r != base_) {
        record(r);
      }
    }
    b_.emit(Op::kMov64Imm, 0, 0, 0, 0).exit();
    *memory_size = 8 * static_cast<size_t>(slots_);
    auto p = Program::from_instructions(b_.instructions());
    EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message);
    return std::move(*p);
  }

 private:
  ProgramBuilder b_;
  int base_;
  int slots_ = 0;
};

void expect_same(const Program& program, size_t memory_size, const std::string& what, bool bmi2 = true,
                 const EngineOptions& options = {}) {
  std::vector<uint8_t> memory(memory_size);
  for (size_t i = 0; i < memory.size(); ++i) {
    memory[i] = static_cast<uint8_t>(i * 7 + 3);
  }
  const DifferentialOutcome out = compare_engines(program, options, memory, jit_options(bmi2));
  ASSERT_TRUE(out.interp.created) << what << ": " << out.interp.result.error().message;
  EXPECT_TRUE(out.same) << what << (bmi2 ? "" : " (no BMI2)") << "\n" << out.difference;
}

std::vector<const OpInfo*> ops_of(std::initializer_list<Form> forms) {
  std::vector<const OpInfo*> out;
  for (int i = 0; i < kNumOps; ++i) {
    const OpInfo& info = op_info(static_cast<Op>(i));
    if (std::find(forms.begin(), forms.end(), info.form) != forms.end()) {
      out.push_back(&info);
    }
  }
  return out;
}

// A load into r0 from [base+off], or a store/atomic to [base+off] of r2 (or of 5).
void memory_op(ProgramBuilder& b, const OpInfo& info, int base, int16_t off) {
  switch (info.form) {
    case Form::kLoad:
      b.emit(info.id, 0, base, off);
      break;
    case Form::kStoreImm:
      b.emit(info.id, base, 0, off, 5);
      break;
    default:
      b.emit(info.id, base, 2, off);
      break;
  }
}

bool is_shift(const OpInfo& info) {
  const uint8_t code = info.opcode & 0xf0;
  return code == 0x60 || code == 0x70 || code == 0xc0;
}

TEST(JitDifferential, AluRegisterOperations) {
  for (const OpInfo* info : ops_of({Form::kAluReg})) {
    for (int dst : kDsts) {
      for (int src : kSrcs) {
        CaseProgram p(pick_base({dst, src}));
        for (uint64_t a : kValues) {
          for (uint64_t b : kValues) {
            p.body().lddw(dst, a);
            if (src != dst) {
              p.body().lddw(src, b);
            }
            p.body().emit(info->id, dst, src);
            p.record(dst);
          }
        }
        size_t mem = 0;
        const Program program = p.finish(&mem);
        const std::string what = fmt::format("{} r{}, r{}", info->mnemonic, dst, src);
        expect_same(program, mem, what);
        if (is_shift(*info)) {
          expect_same(program, mem, what, /*bmi2=*/false);
        }
      }
    }
  }
}

TEST(JitDifferential, AluImmediateOperations) {
  for (const OpInfo* info : ops_of({Form::kAluImm})) {
    for (int dst : kDsts) {
      CaseProgram p(pick_base({dst}));
      for (uint64_t a : kValues) {
        for (int32_t imm : kImms) {
          p.body().lddw(dst, a).emit(info->id, dst, 0, 0, imm);
          p.record(dst);
        }
      }
      size_t mem = 0;
      expect_same(p.finish(&mem), mem, fmt::format("{} r{}, imm", info->mnemonic, dst));
    }
  }
}

TEST(JitDifferential, UnaryAndByteOrderOperations) {
  for (const OpInfo* info : ops_of({Form::kAluUnary, Form::kEndian})) {
    for (int dst : kDsts) {
      CaseProgram p(pick_base({dst}));
      for (uint64_t a : kValues) {
        p.body().lddw(dst, a).emit(info->id, dst);
        p.record(dst);
      }
      size_t mem = 0;
      expect_same(p.finish(&mem), mem, fmt::format("{} r{}", info->mnemonic, dst));
    }
  }
}

// jcc dst, src|imm, +2; stdw [base+k], 1; ja +1; stdw [base+k], 2
TEST(JitDifferential, ConditionalJumps) {
  for (const OpInfo* info : ops_of({Form::kJmpReg, Form::kJmpImm})) {
    const bool imm_form = info->form == Form::kJmpImm;
    for (int dst : {0, 3, 4, 9}) {
      for (int src : imm_form ? std::vector<int>{0} : std::vector<int>{0, 3, 5, 9}) {
        CaseProgram p(pick_base({dst, src}));
        for (uint64_t a : kValues) {
          const size_t n = imm_form ? std::size(kImms) : std::size(kValues);
          for (size_t k = 0; k < n; ++k) {
            p.body().lddw(dst, a);
            if (!imm_form && src != dst) {
              p.body().lddw(src, kValues[k]);
            }
            const int16_t slot = p.next_slot_offset();
            p.body()
                .emit(info->id, dst, imm_form ? 0 : src, 2, imm_form ? kImms[k] : 0)
                .emit(Op::kStDw, p.base(), 0, slot, 1)
                .emit(Op::kJa, 0, 0, 1)
                .emit(Op::kStDw, p.base(), 0, slot, 2);
            p.skip_slot();
          }
        }
        size_t mem = 0;
        expect_same(p.finish(&mem), mem, fmt::format("{} r{}, r{}", info->mnemonic, dst, src));
      }
    }
  }
}

// Loads of every width from the context at every alignment, into each destination.
TEST(JitDifferential, Loads) {
  for (const OpInfo* info : ops_of({Form::kLoad})) {
    for (int dst : {0, 3, 4, 9}) {
      for (int src : {1, 3, 0}) {
        CaseProgram p(pick_base({dst, src}));
        // The loads read from byte 1024 on, past where results are written.
        for (int16_t off = 0; off < 24; ++off) {
          p.body().emit(Op::kMov64Reg, src, p.base()).emit(Op::kAdd64Imm, src, 0, 0, 1024);
          p.body().emit(info->id, dst, src, off);
          p.record(dst);
        }
        size_t mem = 0;
        Program program = p.finish(&mem);
        expect_same(program, std::max<size_t>(mem, 1100), fmt::format("{} r{}, [r{}+off]", info->mnemonic, dst, src));
      }
    }
  }
}

// Stores of every width, from each source register and as immediates, at every alignment.
TEST(JitDifferential, Stores) {
  for (const OpInfo* info : ops_of({Form::kStoreReg, Form::kStoreImm})) {
    for (int dst : {1, 3, 0}) {
      for (int src : {0, 2, 4, 9}) {
        if (info->form == Form::kStoreImm && src != 0) {
          continue;
        }
        CaseProgram p(pick_base({dst, src}));
        int16_t off = 0;
        for (uint64_t v : kValues) {
          p.body().emit(Op::kMov64Reg, dst, p.base()).emit(Op::kAdd64Imm, dst, 0, 0, 1024);
          if (info->form == Form::kStoreReg) {
            if (src != dst) {
              p.body().lddw(src, v);
            }
            p.body().emit(info->id, dst, src, off);
          } else {
            p.body().emit(info->id, dst, 0, off, static_cast<int32_t>(v));
          }
          off = static_cast<int16_t>(off + 3);
        }
        size_t mem = 0;
        expect_same(p.finish(&mem), 1024 + 128, fmt::format("{} [r{}+off], r{}", info->mnemonic, dst, src));
      }
    }
  }
}

// Every atomic, with the base and source in registers that x86 gives special roles (rax for
// cmpxchg and the fetch loops), on the context and on the stack.
TEST(JitDifferential, Atomics) {
  for (const OpInfo* info : ops_of({Form::kAtomic})) {
    const int width = access_size(*info);
    for (int dst : {1, 0, 3, 10}) {
      for (int src : {0, 2, 3, 4, 9}) {
        if (src == dst) {
          continue;
        }
        CaseProgram p(pick_base({dst, src}));
        int16_t off = dst == 10 ? -256 : 0;
        for (uint64_t v : kValues) {
          if (dst != 10) {
            p.body().emit(Op::kMov64Reg, dst, p.base()).emit(Op::kAdd64Imm, dst, 0, 0, 1024);
          }
          // The memory word, the operand and the expected value for cmpxchg.
          p.body().emit(Op::kStW, dst, 0, off, static_cast<int32_t>(v * 3));
          p.body().emit(Op::kStW, dst, 0, static_cast<int16_t>(off + 4), 0x11);
          if (width == 8) {
            p.body().emit(Op::kStDw, dst, 0, off, static_cast<int32_t>(v));
          }
          p.body().lddw(src, v);
          if (src != 0 && dst != 0) {
            p.body().lddw(0, v & 1 ? v : v * 3);  // half the cmpxchgs succeed
          }
          p.body().emit(info->id, dst, src, off);
          p.record(src);
          p.record(0);
          p.body().emit(Op::kLdxDw, src, dst, off);
          p.record(src);
          off = static_cast<int16_t>(off + 8);
        }
        size_t mem = 0;
        expect_same(p.finish(&mem), 1024 + 512, fmt::format("{} [r{}], r{}", info->mnemonic, dst, src));
      }
    }
  }
}

// Out-of-bounds and misaligned accesses fail with the same code, index and message in both.
TEST(JitDifferential, FaultsMatch) {
  const int16_t offsets[] = {-1, 0, 1, 60, 61, 63, 64, 200, -4096};
  for (const OpInfo* info : ops_of({Form::kLoad, Form::kStoreImm, Form::kStoreReg, Form::kAtomic})) {
    for (int base : {1, 10}) {
      for (int16_t off : offsets) {
        for (int16_t bias : {int16_t{0}, int16_t{-512}, int16_t{-520}, int16_t{8}}) {
          const int16_t at = static_cast<int16_t>(base == 10 ? off + bias : off);
          ProgramBuilder b;
          b.emit(Op::kMov64Imm, 2, 0, 0, 5);
          memory_op(b, *info, base, at);
          b.emit(Op::kMov64Imm, 0, 0, 0, 1).exit();
          auto program = Program::from_instructions(b.instructions());
          ASSERT_TRUE(program.ok());
          expect_same(*program, 64, fmt::format("{} base r{} offset {}", info->mnemonic, base, at));
        }
      }
    }
  }
}

TEST(JitDifferential, ReadOnlyContextAndRegions) {
  std::vector<uint64_t> table = {10, 20, 30, 40};
  EngineOptions options;
  options.ctx_writable = false;
  options.regions.push_back(MemoryRegion{reinterpret_cast<uint64_t>(table.data()), 16, false});
  options.regions.push_back(MemoryRegion{reinterpret_cast<uint64_t>(table.data() + 2), 16, true});
  for (const OpInfo* info : ops_of({Form::kLoad, Form::kStoreImm, Form::kStoreReg, Form::kAtomic})) {
    for (int16_t off : {0, 8, 12, 16, 24, 28, 32}) {
      for (bool region : {true, false}) {
        ProgramBuilder b;
        if (region) {
          b.lddw(1, reinterpret_cast<uint64_t>(table.data()));
        }
        b.emit(Op::kMov64Imm, 2, 0, 0, 5);
        memory_op(b, *info, 1, off);
        b.emit(Op::kMov64Imm, 0, 0, 0, 1).exit();
        auto program = Program::from_instructions(b.instructions());
        ASSERT_TRUE(program.ok());
        expect_same(*program, 32, fmt::format("{} {} offset {}", info->mnemonic, region ? "region" : "ctx", off), true,
                    options);
      }
    }
  }
}

// The run stops at the same instruction for every budget, through loops, local calls and helpers.
TEST(JitDifferential, BudgetStopsAtTheSameInstruction) {
  HelperTable helpers;
  ASSERT_TRUE(add_conformance_helpers(helpers).ok());
  const char* text =
      "mov %r6, 0\n"
      "mov %r7, %r1\n"
      "stdw [%r10-8], 0\n"
      "loop: add %r6, 1\n"
      "stxdw [%r7+0], %r6\n"
      "mov %r1, %r6\n"
      "call 3\n"
      "mov %r1, %r0\n"
      "call local f\n"
      "lddw %r2, 0x100000000\n"
      "ldxdw %r1, [%r10-8]\n"
      "add %r1, %r0\n"
      "stxdw [%r10-8], %r1\n"
      "jlt %r6, 6, loop\n"
      "ldxdw %r0, [%r10-8]\n"
      "exit\n"
      "f: mov %r0, %r1\n"
      "jeq %r0, 2, skip\n"
      "mul %r0, 3\n"
      "skip: stxb [%r10-1], %r0\n"
      "exit\n";
  const Program program = test::must_assemble(text);
  bool completed = false;
  for (uint64_t budget = 1; budget < 200; ++budget) {
    EngineOptions options;
    options.helpers = &helpers;
    options.instruction_budget = budget;
    std::vector<uint8_t> memory(16);
    const DifferentialOutcome out = compare_engines(program, options, memory, jit_options(true));
    EXPECT_TRUE(out.same) << "budget " << budget << "\n" << out.difference;
    if (budget == 1) {
      ASSERT_FALSE(out.jit.result.ok());
      EXPECT_EQ(out.jit.result.error().code, ErrorCode::kBudgetExhausted);
    }
    completed |= out.jit.result.ok();
  }
  EXPECT_TRUE(completed) << "no budget was large enough to finish the program";
}

TEST(JitDifferential, ConformanceVectorsWithBudgets) {
  // Every vector, with budgets small enough to stop most of them part way.
  auto files = list_vectors(test::shared_dir() + "/conformance/tests");
  ASSERT_TRUE(files.ok());
  HelperTable helpers;
  ASSERT_TRUE(add_conformance_helpers(helpers).ok());
  size_t compared = 0;
  for (const std::string& file : *files) {
    auto vector = load_test_vector(file);
    ASSERT_TRUE(vector.ok());
    auto program = vector->program();
    ASSERT_TRUE(program.ok());
    if (differential_hazard(*program, &helpers)) {
      continue;
    }
    for (uint64_t budget : {uint64_t{0}, uint64_t{1}, uint64_t{2}, uint64_t{5}, uint64_t{17}, uint64_t{100}}) {
      EngineOptions options;
      options.helpers = &helpers;
      options.instruction_budget = budget;
      const DifferentialOutcome out = compare_engines(*program, options, vector->memory, jit_options(true));
      EXPECT_TRUE(out.same) << file << " budget " << budget << "\n" << out.difference;
      ++compared;
    }
  }
  EXPECT_GT(compared, 250u * 6);
}

}  // namespace
}  // namespace bpfrt

namespace bpfrt {
namespace {

// The harness itself: a helper that answers differently per engine must be caught, in r0 and in
// memory; programs that are not comparable are recognised.
uint64_t engine_dependent(uint64_t ptr, uint64_t, uint64_t, uint64_t, uint64_t, RunContext* rc) {
  const bool jit = rc->engine->kind() == EngineKind::kJit;
  if (ptr != 0) {
    *reinterpret_cast<uint8_t*>(ptr) = jit ? 1 : 2;  // NOLINT(performance-no-int-to-ptr): a BPF pointer
    return 0;
  }
  return jit ? 1 : 2;
}

TEST(JitDifferentialHarness, CatchesDifferences) {
  HelperTable helpers;
  ASSERT_TRUE(helpers.add({50, "engine_dependent", engine_dependent, HelperPrototype{}}).ok());
  EngineOptions options;
  options.helpers = &helpers;
  std::vector<uint8_t> memory(8);
  auto r0 = compare_engines(test::must_assemble("mov %r1, 0\ncall 50\nexit"), options, memory, JitCompileOptions{});
  EXPECT_FALSE(r0.same);
  EXPECT_NE(r0.difference.find("r0 = 0x2"), std::string::npos) << r0.difference;
  auto mem = compare_engines(test::must_assemble("call 50\nmov %r0, 0\nexit"), options, memory, JitCompileOptions{});
  EXPECT_FALSE(mem.same);
  EXPECT_NE(mem.difference.find("memory differs from byte 0"), std::string::npos) << mem.difference;
}

TEST(JitDifferentialHarness, Hazards) {
  HelperTable helpers;
  ASSERT_TRUE(add_conformance_helpers(helpers).ok());
  auto hazard = [&](const char* text) { return differential_hazard(test::must_assemble(text), &helpers); };
  EXPECT_FALSE(hazard("mov %r1, 1\ncall 3\nmov %r1, 2\ncall 3\nexit"));
  EXPECT_TRUE(hazard("mov %r1, 1\ncall 3\ncall 3\nexit"));  // sqrti reads r1 again
  EXPECT_FALSE(hazard("call 2\ncall 2\nexit"));             // no_op reads nothing
  EXPECT_TRUE(hazard("call 2\nmov %r0, %r5\nexit"));
  EXPECT_TRUE(hazard("mov %r0, %r10\nexit"));
  EXPECT_TRUE(hazard("mov %r2, %r10\nstxdw [%r1+0], %r2\nmov %r0, 0\nexit"));
  EXPECT_TRUE(hazard("mov %r2, %r10\njgt %r2, 5, +0\nmov %r0, 0\nexit"));
  EXPECT_FALSE(hazard("mov %r2, %r10\nadd %r2, -8\nstdw [%r2+0], 1\nldxdw %r0, [%r2+0]\nexit"));
  // A stack pointer handed to a helper may come back in r0.
  EXPECT_TRUE(hazard("mov %r1, %r10\ncall 3\nexit"));
  // An address made from a stack address by more than an offset: whether it lands in a frame depends
  // on where each engine's stack lies (found by fuzz_differential: r2 |= r10, then a store).
  EXPECT_TRUE(hazard("mov %r2, 1\nor %r2, %r10\nstdw [%r2+246], 1\nmov %r0, 0\nexit"));
  EXPECT_TRUE(hazard("mov %r2, %r10\nand %r2, -4096\nldxb %r0, [%r2+0]\nexit"));
  EXPECT_TRUE(hazard("mov32 %r2, %r10\nmov %r3, %r2\nadd %r3, 8\nstb [%r3+0], 1\nmov %r0, 0\nexit"));
  EXPECT_FALSE(hazard("mov %r2, %r10\nmov %r3, 8\nsub %r2, %r3\nstb [%r2+0], 1\nmov %r0, 0\nexit"));
  EXPECT_EQ(normalize_addresses("at 0x10 and 0x2000 and 0x", 0x1000, 0x3000), "at 0x? and 0x2000 and 0x?");
}

}  // namespace
}  // namespace bpfrt

namespace bpfrt {
namespace {

// Blocks whose accesses share a base get one merged check; when the span is not entirely in bounds
// the block's slow copy must fault at exactly the interpreter's instruction, after the same stores.
TEST(JitDifferential, MergedChecksFallBackExactly) {
  const char* bases[] = {
      "mov %r2, %r1\n",                               // exactly ctx + 0
      "mov %r2, %r1\nadd %r2, %r3\n",                 // ctx + unknown (r3 = 0 at run time)
      "mov %r2, %r10\nadd %r2, -64\n",                // exactly r10 - 64
      "mov %r2, %r10\nadd %r2, %r3\nadd %r2, -64\n",  // r10 + unknown
  };
  size_t compared = 0;
  for (const char* base : bases) {
    for (int far = -80; far <= 80; far += 4) {
      for (size_t ctx_size : {size_t{0}, size_t{8}, size_t{16}, size_t{24}}) {
        for (uint64_t budget : {uint64_t{0}, uint64_t{4}, uint64_t{6}}) {
          const std::string text = std::string("mov %r3, 0\n") + base + "ja +0\n" +  // a new block
                                   "stb [%r2+0], 1\nstb [%r2+5], 2\nldxw %r0, [%r2" + (far < 0 ? "" : "+") +
                                   std::to_string(far) + "]\nstb [%r2+3], 4\nldxb %r4, [%r2+1]\nadd %r0, %r4\nexit";
          EngineOptions options;
          options.instruction_budget = budget;
          std::vector<uint8_t> memory(ctx_size, 0x11);
          const DifferentialOutcome out =
              compare_engines(test::must_assemble(text), options, memory, jit_options(true));
          EXPECT_TRUE(out.same) << text << "\nctx " << ctx_size << " budget " << budget << "\n" << out.difference;
          ++compared;
        }
      }
    }
  }
  EXPECT_GT(compared, 1000u);
}

TEST(JitDifferential, MergedChecksAreUsed) {
  auto program = test::must_assemble("ldxb %r2, [%r1+0]\nldxb %r3, [%r1+1]\nldxw %r4, [%r1+4]\nmov %r0, 0\nexit");
  auto engine = JitEngine::create(program, {}, jit_options(true));
  ASSERT_TRUE(engine.ok());
  EXPECT_EQ((*engine)->stats().merged_checks, 1u);
  std::vector<uint8_t> memory(8);
  EXPECT_TRUE((*engine)->run(memory.data(), memory.size()).ok());
  auto short_ctx = (*engine)->run(memory.data(), 6);
  ASSERT_FALSE(short_ctx.ok());
  EXPECT_EQ(short_ctx.error().insn, 2u);
}

}  // namespace
}  // namespace bpfrt
