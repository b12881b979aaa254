// Differential fuzzing of the JIT against the interpreter. Each input is a program and its memory;
// both engines run it (bounded by an instruction budget) and the fuzzer aborts on any difference in
// r0, in the context or region memory written, or in the error raised (code, instruction index and
// message; stack addresses, which differ between engines, are masked).
//
// Input: flags, memory length L, L bytes of memory, then the program:
//   flags bit 0: the program is generated from the remaining bytes (8 per instruction, always
//                well-formed: registers, jump targets, lddw slots and helper ids are fixed up);
//                otherwise the bytes are raw bytecode (the seeds are the conformance vectors).
// Helper 6 is a small bpf_loop, so generated programs with `lddw func` exercise callbacks.
//   flags bit 1: JIT without BMI2;  bit 2: read-only context;  bit 3: a 64-byte registered region
//                that `lddw map_value` resolves to.
// Programs that read r1-r5 after a helper call, or that may expose a stack address, are skipped
// (differential_hazard): the verifier, when it lands, refuses the first kind outright.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include "bpfrt/engine.hpp"

#include "conformance/differential.hpp"
#include "helpers/conformance_helpers.hpp"

namespace {

using bpfrt::Form;
using bpfrt::Instruction;
using bpfrt::Op;

constexpr uint64_t kBudget = 20000;
constexpr size_t kMaxGenerated = 96;

// The slots `lddw func` names in the program under test: the only callback values both engines run
// (the interpreter would also run any other instruction index; the JIT refuses those).
std::vector<uint64_t> g_callbacks;

// Helper 6, a small bpf_loop: calls the callback r2 with (i, r3) for i < r1 % 5 until it returns
// non-zero; -22 for a value that names no callback. Exercises RunContext::call_function in both
// engines: nested frames, budget carried across, faults and stops inside callbacks.
uint64_t fuzz_loop(uint64_t n, uint64_t fn, uint64_t ctx, uint64_t, uint64_t, bpfrt::RunContext* rc) {
  if (std::find(g_callbacks.begin(), g_callbacks.end(), fn) == g_callbacks.end()) {
    return static_cast<uint64_t>(-22);
  }
  for (uint64_t i = 0; i < n % 5; ++i) {
    const uint64_t args[5] = {i, ctx, 0, 0, 0};
    auto r = rc->call_function(*rc, fn, args);
    if (!r || rc->stop_requested) {
      return 0;
    }
    if (*r != 0) {
      return i + 1;
    }
  }
  return n % 5;
}

const bpfrt::HelperTable& helpers() {
  static const bpfrt::HelperTable table = [] {
    bpfrt::HelperTable t;
    if (!bpfrt::add_conformance_helpers(t).ok()) {
      std::abort();
    }
    bpfrt::HelperPrototype loop{bpfrt::RetType::kInteger,
                                {bpfrt::ArgType::kAnything, bpfrt::ArgType::kPtrToFunc, bpfrt::ArgType::kAnything}};
    if (!t.add({6, "fuzz_loop", fuzz_loop, loop}).ok()) {
      std::abort();
    }
    return t;
  }();
  return table;
}

alignas(8) uint8_t g_region[64];

// With BPFRT_FUZZ_STATS set, how many inputs were compared and why the others were not.
struct Stats {
  uint64_t inputs = 0, invalid = 0, hazards = 0, compared = 0, errors = 0;
  ~Stats() {
    if (std::getenv("BPFRT_FUZZ_STATS") != nullptr) {
      std::fprintf(stderr,
                   "fuzz_differential: %llu inputs, %llu not valid programs, %llu skipped as hazards, %llu compared "
                   "(%llu of them ending in the same error)\n",
                   static_cast<unsigned long long>(inputs), static_cast<unsigned long long>(invalid),
                   static_cast<unsigned long long>(hazards), static_cast<unsigned long long>(compared),
                   static_cast<unsigned long long>(errors));
    }
  }
} g_stats;

int16_t read16(const uint8_t* p) {
  int16_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
int32_t read32(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

bool writes_dst(Form form) {
  return form == Form::kAluImm || form == Form::kAluReg || form == Form::kAluUnary || form == Form::kEndian ||
         form == Form::kLoad || form == Form::kLddw;
}

// One instruction slot (two for lddw) from 8 input bytes, adjusted so the program is well-formed.
void generate_one(const uint8_t* b, size_t index, size_t count, std::vector<Instruction>& out) {
  const auto op = static_cast<Op>(b[0] % bpfrt::kNumOps);
  const bpfrt::OpInfo& info = bpfrt::op_info(op);
  Instruction insn{};
  insn.opcode = info.opcode;
  insn.dst = static_cast<uint8_t>((b[1] & 0x0f) % 11);
  insn.src = static_cast<uint8_t>((b[1] >> 4) % 11);
  insn.offset = read16(b + 2);
  insn.imm = read32(b + 4);
  const bool fetch_atomic = info.form == Form::kAtomic && (info.disc_value & bpfrt::op::kAtomicFetch) != 0;
  if ((writes_dst(info.form) && insn.dst == 10) || (fetch_atomic && insn.src == 10)) {
    insn.dst = static_cast<uint8_t>(insn.dst % 10);
    insn.src = static_cast<uint8_t>(insn.src % 10);
  }
  // Jumps land anywhere in the program (budget bounds loops); memory offsets stay near their base.
  const auto target_delta = [&] {
    return static_cast<int64_t>(static_cast<uint16_t>(insn.offset) % count) - static_cast<int64_t>(index) - 1;
  };
  switch (info.form) {
    case Form::kJa:
    case Form::kJmpImm:
    case Form::kJmpReg:
      insn.offset = static_cast<int16_t>(target_delta());
      break;
    case Form::kJa32:
    case Form::kCallLocal:
      insn.imm = static_cast<int32_t>(target_delta());
      break;
    case Form::kLoad:
    case Form::kStoreImm:
    case Form::kStoreReg:
    case Form::kAtomic:
      insn.offset = static_cast<int16_t>(static_cast<int8_t>(b[2]) * ((b[3] & 7) + 1));
      if (info.form == Form::kAtomic && (b[3] & 8) != 0) {
        insn.offset = static_cast<int16_t>(insn.offset & ~7);
      }
      break;
    case Form::kCallHelper:
    case Form::kCallKfunc:
      insn.opcode = bpfrt::op_info(Op::kCallHelper).opcode;
      insn.imm = static_cast<int32_t>(static_cast<uint32_t>(insn.imm) % 7);
      break;
    case Form::kLdAbs:
    case Form::kLdInd:
      insn.imm = insn.imm % 96;
      break;
    default:
      break;
  }
  switch (info.disc) {
    case bpfrt::Disc::kOffset:
      insn.offset = static_cast<int16_t>(info.disc_value);
      break;
    case bpfrt::Disc::kImm:
      insn.imm = info.disc_value;
      break;
    case bpfrt::Disc::kSrc:
      insn.src = static_cast<uint8_t>(info.form == Form::kCallKfunc ? 0 : info.disc_value);
      break;
    case bpfrt::Disc::kNone:
      break;
  }
  // Clear the fields the form leaves unused; validation rejects the rest.
  switch (info.form) {
    case Form::kAluImm:
    case Form::kStoreImm:
    case Form::kJmpImm:
      insn.src = 0;
      break;
    case Form::kAluReg:
    case Form::kLoad:
    case Form::kStoreReg:
    case Form::kJmpReg:
      insn.imm = 0;
      break;
    case Form::kAluUnary:
    case Form::kEndian:
      insn.src = 0;
      if (info.form == Form::kAluUnary) {
        insn.imm = 0;
      }
      if (info.disc == bpfrt::Disc::kOffset) {
        break;
      }
      insn.offset = 0;
      break;
    case Form::kLdAbs:
      insn.dst = insn.src = 0;
      insn.offset = 0;
      break;
    case Form::kLdInd:
      insn.dst = 0;
      insn.offset = 0;
      break;
    case Form::kJa:
      insn.dst = insn.src = 0;
      insn.imm = 0;
      break;
    case Form::kJa32:
      insn.dst = insn.src = 0;
      insn.offset = 0;
      break;
    case Form::kCallHelper:
    case Form::kCallKfunc:
    case Form::kCallLocal:
      insn.dst = 0;
      insn.offset = 0;
      insn.src = info.form == Form::kCallLocal ? 1 : 0;
      break;
    case Form::kCallx:
      insn.src = 0;
      insn.offset = 0;
      insn.imm = 0;
      break;
    case Form::kExit:
      insn = Instruction{};
      insn.opcode = info.opcode;
      break;
    case Form::kLddw:
      insn.offset = 0;
      if (insn.src == static_cast<uint8_t>(bpfrt::LddwSrc::kFunc)) {
        insn.imm = static_cast<int32_t>(target_delta());  // a callback somewhere in the program
      }
      break;
    default:
      break;
  }
  out.push_back(insn);
  if (info.form == Form::kLddw) {
    Instruction second{};
    const auto src = static_cast<bpfrt::LddwSrc>(insn.src);
    const bool uses_next =
        src == bpfrt::LddwSrc::kImm64 || src == bpfrt::LddwSrc::kMapValue || src == bpfrt::LddwSrc::kMapIdxValue;
    second.imm = uses_next ? read32(b + 2) : 0;
    out.push_back(second);
  }
}

std::vector<Instruction> generate(std::span<const uint8_t> bytes) {
  const size_t count = std::min(bytes.size() / 8, kMaxGenerated);
  std::vector<Instruction> out;
  for (size_t i = 0; i < count && out.size() < count; ++i) {
    generate_one(bytes.data() + 8 * i, out.size(), count, out);
  }
  if (out.size() > count) {  // an lddw in the last slot spilled over: replace it
    out.resize(count - 1);
    Instruction mov{};
    mov.opcode = bpfrt::op_info(Op::kMov64Imm).opcode;
    out.push_back(mov);
  }
  Instruction exit{};
  exit.opcode = bpfrt::op_info(Op::kExit).opcode;
  out.push_back(exit);
  return out;
}

// map_value resolves into the registered region; other pseudo sources to a plain constant.
bpfrt::Result<uint64_t> resolve_lddw(const Instruction& first, const Instruction& second, size_t) {
  if (first.src == static_cast<uint8_t>(bpfrt::LddwSrc::kMapValue)) {
    return reinterpret_cast<uint64_t>(g_region) + static_cast<uint32_t>(second.imm) % sizeof(g_region);
  }
  return static_cast<uint64_t>(static_cast<uint32_t>(first.imm)) * 0x10001;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) {
    return 0;
  }
  const uint8_t flags = data[0];
  const size_t mem_len = std::min<size_t>(data[1], size - 2);
  const std::span<const uint8_t> memory(data + 2, mem_len);
  const std::span<const uint8_t> rest(data + 2 + mem_len, size - 2 - mem_len);

  auto program = (flags & 1) != 0 ? bpfrt::Program::from_instructions(generate(rest))
                                  : bpfrt::Program::decode(rest.first(rest.size() - rest.size() % 8));
  ++g_stats.inputs;
  if (!program) {
    ++g_stats.invalid;
    return 0;
  }
  g_callbacks.clear();
  for (size_t i = 0; i + 1 < program->size(); ++i) {
    const bpfrt::OpInfo* info = program->op_at(i);
    if (info != nullptr && info->form == Form::kLddw &&
        (*program)[i].src == static_cast<uint8_t>(bpfrt::LddwSrc::kFunc)) {
      g_callbacks.push_back(static_cast<uint64_t>(static_cast<int64_t>(i) + 1 + (*program)[i].imm));
    }
  }
  if (bpfrt::differential_hazard(*program, &helpers())) {
    ++g_stats.hazards;
    return 0;
  }
  bpfrt::EngineOptions options;
  options.helpers = &helpers();
  options.instruction_budget = kBudget;
  options.ctx_writable = (flags & 4) == 0;
  options.resolve_lddw = resolve_lddw;
  std::span<uint8_t> region;
  if ((flags & 8) != 0) {
    options.regions.push_back({reinterpret_cast<uint64_t>(g_region), sizeof(g_region), true});
    for (size_t i = 0; i < sizeof(g_region); ++i) {
      g_region[i] = static_cast<uint8_t>(i * 13);
    }
    region = g_region;
  }
  bpfrt::JitCompileOptions jit;
  jit.use_bmi2 = (flags & 2) == 0 && bpfrt::cpu_has_bmi2();
  const bpfrt::DifferentialOutcome outcome = bpfrt::compare_engines(*program, options, memory, jit, region);
  ++g_stats.compared;
  g_stats.errors += outcome.interp.result.ok() ? 0 : 1;
  if (!outcome.same) {
    std::fprintf(stderr, "interpreter and JIT differ (flags 0x%x):\n%s\nprogram:\n%s\n", flags,
                 outcome.difference.c_str(), bpfrt::disassemble(*program, {.indices = true}).c_str());
    std::abort();
  }
  return 0;
}
