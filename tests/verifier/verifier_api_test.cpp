// The verifier's public interface: the log at each level, the statistics, the per-instruction facts for
// engines, the limits, options, and the verify-then-load path every front end uses.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>

#include "bpfrt/verifier.hpp"

#include "helpers/conformance_helpers.hpp"
#include "helpers/helper_prototypes.hpp"
#include "test_util.hpp"
#include "vm/verified_engine.hpp"

namespace bpfrt {
namespace {

using test::must_assemble;

const HelperTable& prototypes() {
  static const HelperTable table = standard_helper_prototypes();
  return table;
}

VerifierReport verify(const std::string& text, ProgramType type = ProgramType::kRaw, int log_level = 0,
                      size_t ctx_size = 64) {
  VerifyOptions options;
  options.type = type;
  options.helpers = &prototypes();
  options.log_level = log_level;
  options.ctx_size = ctx_size;
  auto report = verify_program(must_assemble(text), options);
  EXPECT_TRUE(report.ok()) << report.error().message;
  return report.ok() ? *report : VerifierReport{};
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(VerifierLog, RefusalNamesInstructionStateAndReason) {
  const VerifierReport r = verify("mov %r0, 0\nldxdw %r0, [%r1+8]\nexit", ProgramType::kXdp);
  ASSERT_FALSE(r.accepted);
  EXPECT_EQ(r.insn, 1u);
  EXPECT_EQ(r.reason, "invalid bpf_context access off=8 size=8");
  // Kernel syntax, bpfrt syntax, the register state, the reason, the statistics.
  EXPECT_TRUE(contains(r.log, "1: (79) r0 = *(u64 *)(r1 +8)  ; ldxdw %r0, [%r1+8]\n")) << r.log;
  EXPECT_TRUE(contains(r.log, "R0=0 R1=ctx() R10=fp0\n")) << r.log;
  EXPECT_TRUE(contains(r.log, "\ninvalid bpf_context access off=8 size=8\n")) << r.log;
  EXPECT_TRUE(contains(r.log, "processed 2 insns (limit 1000000)")) << r.log;
  const Error e = r.error();
  EXPECT_EQ(e.code, ErrorCode::kRefused);
  EXPECT_EQ(e.insn, 1u);
  EXPECT_TRUE(contains(e.message, "the verifier refused the program")) << e.message;
}

TEST(VerifierLog, LevelOneTracesEveryPathLevelTwoTheStates) {
  const std::string program = "mov %r0, 0\njeq %r2, 0, +1\nmov %r0, 1\nexit";
  const VerifierReport quiet = verify(program);
  ASSERT_TRUE(quiet.accepted);
  EXPECT_FALSE(contains(quiet.log, "(b7)"));
  const VerifierReport one = verify(program, ProgramType::kRaw, 1);
  ASSERT_TRUE(one.accepted);
  EXPECT_TRUE(contains(one.log, "0: (b7) r0 = 0\n")) << one.log;
  EXPECT_TRUE(contains(one.log, "1: (15) if r2 == 0x0 goto pc+1\n")) << one.log;
  EXPECT_TRUE(contains(one.log, "3: (95) exit\n")) << one.log;
  const VerifierReport two = verify(program, ProgramType::kRaw, 2);
  EXPECT_TRUE(contains(two.log, "1: R0=0 R1=ctx() R2=scalar() R10=fp0\n")) << two.log;
}

// r2 of a raw program is the length of the context it runs with, which engines only require to cover
// what the program reads: the verifier may not take it to be ctx_size. (Found by fuzz_verifier: with
// r2 = 32 assumed, r1 + (r2 & 31) was ctx + 0, but an 8-byte context gave ctx + 8.)
TEST(Verifier, RawContextLengthIsNotAssumedToBeTheContextSize) {
  const VerifierReport r = verify("ldxb %r8, [%r1]\nand %r2, 31\nadd %r1, %r2\nldxdw %r0, [%r1]\nexit", ProgramType::kRaw,
                                  0, 32);
  EXPECT_FALSE(r.accepted);
  EXPECT_TRUE(contains(r.reason, "ctx")) << r.reason;
  // Bounded by the program itself, the same access is fine.
  EXPECT_TRUE(verify("and %r2, 7\nadd %r1, %r2\nldxdw %r0, [%r1]\nexit", ProgramType::kRaw, 0, 32).accepted);
}

TEST(VerifierLog, BranchesAndPruning) {
  // Two paths meet at insn 4 with the same state: the second is pruned there.
  const std::string program = R"(
    ldxb %r2, [%r1+0]
    mov %r3, 1
    jeq %r2, 0, +1
    mov %r3, 1
    mov %r0, %r3
    exit)";
  const VerifierReport r = verify(program, ProgramType::kRaw, 1);
  ASSERT_TRUE(r.accepted) << r.log;
  EXPECT_TRUE(contains(r.log, "from 2 to 4: ")) << r.log;
  EXPECT_TRUE(contains(r.log, "4: safe")) << r.log;
  EXPECT_EQ(r.stats.states_pruned, 1u);
  EXPECT_GE(r.stats.states_kept, 1u);
}

TEST(VerifierLog, KernelStyleInstructionText) {
  const std::string program = R"(
    stxdw [%r10-8], %r1
    lock fetch add [%r10-8], %r2
    lock add32 [%r10-8], %r2
    movsx816 %r0, %r2
    exit)";
  auto p = assemble_program(R"(
    mov %r2, 1
    stdw [%r10-8], 0
    lock fetch add [%r10-8], %r2
    lock add32 [%r10-8], %r2
    mov32 %r3, %r2
    be16 %r3
    jsgt32 %r3, 5, +0
    sdiv %r3, 3
    mov %r0, 0
    exit)");
  (void)program;
  ASSERT_TRUE(p.ok()) << p.error().message;
  VerifyOptions options;
  options.log_level = 1;
  auto r = verify_program(*p, options);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(contains(r->log, "2: (db) r2 = atomic64_fetch_add((u64 *)(r10 -8), r2)")) << r->log;
  EXPECT_TRUE(contains(r->log, "3: (c3) lock *(u32 *)(r10 -8) += w2")) << r->log;
  EXPECT_TRUE(contains(r->log, "4: (bc) w3 = w2")) << r->log;
  EXPECT_TRUE(contains(r->log, "5: (dc) r3 = be16 r3")) << r->log;
  EXPECT_TRUE(contains(r->log, "6: (66) if w3 s> 0x5 goto pc+0")) << r->log;
  EXPECT_TRUE(contains(r->log, "7: (37) r3 s/= 3")) << r->log;
}

TEST(VerifierFacts, ProvenAccessesAndRegions) {
  const VerifierReport r = verify(R"(
    stdw [%r10-16], 1
    ldxdw %r0, [%r10-16]
    ldxb %r3, [%r1+3]
    exit)",
                                  ProgramType::kRaw, 0, 8);
  ASSERT_TRUE(r.accepted) << r.log;
  ASSERT_EQ(r.access_proven_safe.size(), 4u);
  EXPECT_TRUE(r.access_proven_safe[0]);
  EXPECT_TRUE(r.access_proven_safe[1]);
  // Context bounds are fixed too: engines refuse contexts shorter than ctx_size_required.
  EXPECT_TRUE(r.access_proven_safe[2]);
  EXPECT_FALSE(r.access_proven_safe[3]);  // not an access
  EXPECT_EQ(r.access_region[0], AccessRegion::kStack);
  EXPECT_EQ(r.access_region[2], AccessRegion::kContext);
  EXPECT_EQ(r.access_region[3], AccessRegion::kNone);
  EXPECT_EQ(r.stack_depth, 16u);
  EXPECT_EQ(r.combined_stack_depth, 32u);
  EXPECT_EQ(r.ctx_size_required, 4u);
}

TEST(VerifierFacts, MixedFixedRegionsAreProven) {
  // The same load reads the stack on one path and the context on the other; both have fixed bounds.
  const VerifierReport r = verify(R"(
    stdw [%r10-8], 0
    mov %r3, %r10
    add %r3, -8
    ldxb %r2, [%r1+0]
    jeq %r2, 0, +1
    mov %r3, %r1
    ldxdw %r0, [%r3+0]
    exit)");
  ASSERT_TRUE(r.accepted) << r.log;
  EXPECT_EQ(r.access_region[6], AccessRegion::kMixed);
  EXPECT_TRUE(r.access_proven_safe[6]);
  EXPECT_EQ(r.ctx_size_required, 8u);
}

TEST(VerifierFacts, PacketAccessesStayChecked) {
  // Packet bounds come from data/data_end at run time, so the engine keeps its check.
  const VerifierReport r = verify(R"(
    mov %r0, 0
    ldxw %r2, [%r1+0]
    ldxw %r3, [%r1+4]
    mov %r4, %r2
    add %r4, 1
    jgt %r4, %r3, +1
    ldxb %r0, [%r2+0]
    exit)",
                                  ProgramType::kXdp);
  ASSERT_TRUE(r.accepted) << r.log;
  EXPECT_EQ(r.access_region[6], AccessRegion::kPacket);
  EXPECT_FALSE(r.access_proven_safe[6]);
  EXPECT_TRUE(r.access_proven_safe[1]);  // the context field itself is fixed
}

TEST(VerifierFacts, MapValueAccessesAreProven) {
  VerifyOptions options;
  options.type = ProgramType::kKprobe;
  options.helpers = &prototypes();
  options.maps = [](LddwSrc, int32_t fd) -> Result<MapInfo> {
    if (fd != 3) {
      return make_error(ErrorCode::kNotFound, "no such map");
    }
    return MapInfo{BPF_MAP_TYPE_ARRAY, 4, 16, 1, 0, -1, "m", nullptr};
  };
  auto r = verify_program(must_assemble("lddw %r1, map_value(3, 0)\nldxdw %r0, [%r1+8]\nexit"), options);
  ASSERT_TRUE(r.ok() && r->accepted) << (r.ok() ? r->log : r.error().message);
  EXPECT_TRUE(r->access_proven_safe[2]);
  EXPECT_EQ(r->access_region[2], AccessRegion::kMapValue);
  auto unknown = verify_program(must_assemble("lddw %r1, map_fd(4)\nmov %r0, 0\nexit"), options);
  ASSERT_TRUE(unknown.ok());
  EXPECT_FALSE(unknown->accepted);
  EXPECT_EQ(unknown->reason, "map fd 4: no such map");
  options.maps = nullptr;
  auto none = verify_program(must_assemble("lddw %r1, map_fd(3)\nmov %r0, 0\nexit"), options);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(contains(none->reason, "no map metadata")) << none->reason;
}

TEST(VerifierLimits, ProcessedInstructionBudget) {
  VerifyOptions options;
  options.limits.max_processed = 100;
  auto r = verify_program(must_assemble("mov %r0, 0\nadd %r0, 1\njlt %r0, 1000, -2\nexit"), options);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->accepted);
  EXPECT_EQ(r->reason, "BPF program is too large. Processed 101 insn");
  options.limits.max_processed = 1'000'000;
  auto fits = verify_program(must_assemble("mov %r0, 0\nadd %r0, 1\njlt %r0, 1000, -2\nexit"), options);
  ASSERT_TRUE(fits.ok());
  EXPECT_TRUE(fits->accepted) << fits->log;
  EXPECT_GT(fits->stats.insns_processed, 2000u);
}

TEST(VerifierLimits, UnboundedLoopHitsTheMillionInstructionBudget) {
  // A loop whose counter never repeats nor ends: the kernel's 1,000,000-instruction budget stops it.
  auto r = verify_program(must_assemble("mov %r0, 0\nadd %r0, 1\njne %r0, 0, -2\nexit"), {});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->accepted);
  EXPECT_EQ(r->reason, "BPF program is too large. Processed 1000001 insn");
  EXPECT_LE(r->stats.max_states_per_insn, 64u);
}

TEST(VerifierLimits, ProgramSize) {
  VerifyOptions options;
  options.limits.max_insns = 2;
  auto r = verify_program(must_assemble("mov %r0, 0\nmov %r0, 1\nexit"), options);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->accepted);
  EXPECT_TRUE(contains(r->reason, "more than the limit of 2")) << r->reason;
}

TEST(VerifierOptions, ReturnRangeAndPointerLeaks) {
  VerifyOptions options;
  options.type = ProgramType::kKprobe;
  options.return_range = std::make_pair(int64_t{0}, int64_t{1});
  auto two = verify_program(must_assemble("mov %r0, 2\nexit"), options);
  ASSERT_TRUE(two.ok());
  EXPECT_FALSE(two->accepted);
  EXPECT_EQ(two->reason, "At program exit the register R0 has 2 should have been in [0, 1]");
  auto one = verify_program(must_assemble("mov %r0, 1\nexit"), options);
  EXPECT_TRUE(one.ok() && one->accepted);
  options.return_range.reset();
  auto leak = verify_program(must_assemble("mov %r0, %r10\nexit"), options);
  EXPECT_TRUE(leak.ok() && leak->accepted);
  options.allow_ptr_leaks = false;
  auto refused = verify_program(must_assemble("mov %r0, %r10\nexit"), options);
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->reason, "R0 leaks addr as return value");
}

TEST(VerifierOptions, BadOptions) {
  VerifyOptions options;
  options.type = static_cast<ProgramType>(12345);
  auto r = verify_program(must_assemble("mov %r0, 0\nexit"), options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  options.type = ProgramType::kRaw;
  options.log_level = 3;
  EXPECT_FALSE(verify_program(must_assemble("mov %r0, 0\nexit"), options).ok());
  auto none = verify_program(must_assemble("call 5\nexit"), VerifyOptions{});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->reason, "invalid func unknown#5");  // no helper table: no helpers
}

TEST(VerifierProgramTypes, Names) {
  EXPECT_EQ(*parse_program_type("uprobe"), ProgramType::kKprobe);
  EXPECT_EQ(*parse_program_type("tc"), ProgramType::kSchedCls);
  EXPECT_EQ(*parse_program_type("RAW_TP"), ProgramType::kRawTracepoint);
  EXPECT_FALSE(parse_program_type("lsm").ok());
  EXPECT_STREQ(program_type_name(ProgramType::kXdp), "xdp");
  EXPECT_EQ(static_cast<uint32_t>(ProgramType::kXdp), static_cast<uint32_t>(BPF_PROG_TYPE_XDP));
  EXPECT_EQ(static_cast<uint32_t>(ProgramType::kSyscall), static_cast<uint32_t>(BPF_PROG_TYPE_SYSCALL));
  EXPECT_EQ(program_types().size(), 9u);
}

TEST(VerifierHelpers, PacketDataChangingHelperInvalidatesPacketPointers) {
  HelperTable table;
  HelperPrototype adjust{RetType::kInteger, {ArgType::kPtrToCtx, ArgType::kAnything}, true};
  ASSERT_TRUE(table.add({44, "xdp_adjust_head", nullptr, adjust}).ok());
  VerifyOptions options;
  options.type = ProgramType::kXdp;
  options.helpers = &table;
  const std::string program = R"(
    mov %r6, %r1
    ldxw %r7, [%r1+0]
    ldxw %r8, [%r1+4]
    mov %r2, %r7
    add %r2, 4
    mov %r0, 1
    jgt %r2, %r8, out
    mov %r1, %r6
    mov %r2, 0
    call 44
    ldxw %r0, [%r7+0]
    out:
    exit)";
  auto r = verify_program(must_assemble(program), options);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->accepted);
  EXPECT_EQ(r->reason, "R7 invalid mem access 'scalar'") << r->log;
}

TEST(VerifierHelpers, ConformanceHelpersForRawPrograms) {
  HelperTable table;
  ASSERT_TRUE(add_conformance_helpers(table).ok());
  VerifyOptions options;
  options.helpers = &table;
  options.ctx_size = 8;
  // memfrob(ptr, len) takes readable memory and its size.
  auto ok = verify_program(must_assemble("mov %r2, 8\ncall 1\nexit"), options);
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->accepted) << ok->log;
  auto too_long = verify_program(must_assemble("mov %r2, 9\ncall 1\nexit"), options);
  ASSERT_TRUE(too_long.ok());
  EXPECT_FALSE(too_long->accepted);
  EXPECT_TRUE(contains(too_long->reason, "invalid access to context, ctx_size=8")) << too_long->reason;
}

TEST(VerifiedEngine, RefusalStopsLoadingAndAcceptedProgramsRun) {
  LoadOptions options;
  options.verifier.ctx_size = 0;
  auto refused = load_engine(EngineKind::kInterpreter, must_assemble("exit"), options);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kRefused);
  EXPECT_TRUE(contains(refused.error().message, "R0 !read_ok")) << refused.error().message;

  VerifierReport report;
  auto engine = load_engine(EngineKind::kInterpreter, must_assemble("mov %r0, 7\nexit"), options, &report);
  ASSERT_TRUE(engine.ok()) << engine.error().message;
  EXPECT_TRUE(report.accepted);
  EXPECT_EQ(*(*engine)->run(nullptr, 0), 7u);

  options.verify = false;
  auto unverified = load_engine(EngineKind::kInterpreter, must_assemble("exit"), options);
  EXPECT_TRUE(unverified.ok());
}

TEST(VerifiedEngine, StackFramesMustHoldWhatTheProgramUses) {
  LoadOptions options;
  options.engine.stack_size = 64;
  auto small = load_engine(EngineKind::kInterpreter, must_assemble("stdw [%r10-128], 0\nmov %r0, 0\nexit"), options);
  ASSERT_FALSE(small.ok());
  EXPECT_TRUE(contains(small.error().message, "uses 128 bytes of stack per frame but the engine gives 64"));
}

TEST(VerifiedEngine, ContextsShorterThanVerifiedAreRefusedAtRunTime) {
  // The verifier proves [r1+6] in bounds for contexts of at least 8 bytes, and engines drop the check;
  // so every engine must refuse a shorter context before the program starts.
  LoadOptions options;
  options.verifier.ctx_size = 16;
  options.engine.ctx_writable = true;
  const char* text = "ldxh %r0, [%r1+6]\nstb [%r1+7], 1\nexit";
  for (EngineKind kind : {EngineKind::kInterpreter, EngineKind::kJit}) {
    SCOPED_TRACE(kind == EngineKind::kJit ? "jit" : "interp");
    VerifierReport report;
    auto engine = load_engine(kind, must_assemble(text), options, &report);
    ASSERT_TRUE(engine.ok()) << engine.error().message;
    EXPECT_EQ(report.ctx_size_required, 8u);
    EXPECT_TRUE(report.access_proven_safe[0]);
    std::vector<uint8_t> ctx(8, 0);
    ctx[6] = 0x34;
    ctx[7] = 0x12;
    auto ok = (*engine)->run(ctx.data(), ctx.size());
    ASSERT_TRUE(ok.ok()) << ok.error().message;
    EXPECT_EQ(*ok, 0x1234u);
    EXPECT_EQ(ctx[7], 1u);
    for (size_t short_len : {size_t{7}, size_t{0}}) {
      auto refused = (*engine)->run(ctx.data(), short_len);
      ASSERT_FALSE(refused.ok());
      EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
      EXPECT_TRUE(contains(refused.error().message, fmt::format("the context is {} bytes but the verified program "
                                                                "reads 8 bytes of it",
                                                                short_len)))
          << refused.error().message;
      RunArgs args;
      args.ctx = ctx.data();
      args.ctx_len = short_len;
      EXPECT_FALSE((*engine)->run(args).ok());
    }
    EXPECT_FALSE((*engine)->run(nullptr, 64).ok());
  }
}

TEST(VerifiedEngine, ReadOnlyContextsKeepTheirStoresChecked) {
  // The verifier judged the store by the program type; an engine given a read-only context must still
  // refuse it at run time rather than write through.
  LoadOptions options;
  options.verifier.ctx_size = 8;
  options.engine.ctx_writable = false;
  for (EngineKind kind : {EngineKind::kInterpreter, EngineKind::kJit}) {
    SCOPED_TRACE(kind == EngineKind::kJit ? "jit" : "interp");
    auto engine = load_engine(kind, must_assemble("stb [%r1+0], 1\nmov %r0, 0\nexit"), options);
    ASSERT_TRUE(engine.ok()) << engine.error().message;
    std::vector<uint8_t> ctx(8, 0);
    auto r = (*engine)->run(ctx.data(), ctx.size());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().insn, 0u);
    EXPECT_EQ(ctx[0], 0u);
  }
}

}  // namespace
}  // namespace bpfrt
