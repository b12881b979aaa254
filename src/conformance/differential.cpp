#include "conformance/differential.hpp"

#include <algorithm>
#include <bitset>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "vm/jit/jit_analysis.hpp"
#include "vm/jit/jit_engine.hpp"

namespace bpfrt {
namespace {

constexpr uint32_t kArgRegs = 0b111110;  // r1-r5

uint32_t bit(int reg) {
  return uint32_t{1} << reg;
}

// Registers an instruction reads. Helper calls read the arguments their prototype declares.
uint32_t reads(const OpInfo& info, const Instruction& insn, const HelperTable* helpers) {
  switch (info.form) {
    case Form::kAluImm:
      return info.id == Op::kMov64Imm || info.id == Op::kMov32Imm ? 0 : bit(insn.dst);
    case Form::kAluReg:
      return (info.id == Op::kMov64Reg || info.id == Op::kMov32Reg || info.id == Op::kMovsx8To64 ||
              info.id == Op::kMovsx16To64 || info.id == Op::kMovsx32To64 || info.id == Op::kMovsx8To32 ||
              info.id == Op::kMovsx16To32)
                 ? bit(insn.src)
                 : bit(insn.dst) | bit(insn.src);
    case Form::kAluUnary:
    case Form::kEndian:
    case Form::kStoreImm:
    case Form::kJmpImm:
    case Form::kCallx:
      return bit(insn.dst) | (info.form == Form::kCallx ? kArgRegs : 0);
    case Form::kLoad:
    case Form::kLdInd:
      return bit(insn.src);
    case Form::kStoreReg:
    case Form::kJmpReg:
      return bit(insn.dst) | bit(insn.src);
    case Form::kAtomic:
      return bit(insn.dst) | bit(insn.src) |
             (info.id == Op::kAtomicCmpxchg64 || info.id == Op::kAtomicCmpxchg32 ? bit(0) : 0);
    case Form::kCallHelper: {
      const HelperEntry* entry = helpers == nullptr ? nullptr : helpers->find(insn.imm);
      if (entry == nullptr) {
        return kArgRegs;
      }
      uint32_t used = 0;
      for (int a = 0; a < 5; ++a) {
        if (entry->prototype.args[a] != ArgType::kNone) {
          used |= bit(a + 1);
        }
      }
      return used;
    }
    case Form::kExit:
      return bit(0);
    default:
      return 0;
  }
}

// Registers an instruction writes (a clobbered register becomes defined again).
uint32_t writes(const OpInfo& info, const Instruction& insn) {
  switch (info.form) {
    case Form::kAluImm:
    case Form::kAluReg:
    case Form::kAluUnary:
    case Form::kEndian:
    case Form::kLoad:
    case Form::kLddw:
      return bit(insn.dst);
    case Form::kAtomic:
      if (info.id == Op::kAtomicCmpxchg64 || info.id == Op::kAtomicCmpxchg32) {
        return bit(0);
      }
      return (insn.imm & op::kAtomicFetch) != 0 ? bit(insn.src) : 0;
    case Form::kLdAbs:
    case Form::kLdInd:
    case Form::kCallHelper:
    case Form::kCallx:
      return bit(0);
    default:
      return 0;
  }
}

bool is_call(Form form) {
  return form == Form::kCallHelper || form == Form::kCallx;
}

// May-analysis over the instructions: which of r1-r5 may still hold what a helper left there.
std::optional<std::string> clobbered_read(const Program& program, const HelperTable* helpers) {
  const size_t n = program.size();
  bool has_call = false;
  for (size_t i = 0; i < n; i = next_slot(program, i)) {
    has_call |= is_call(program.op_at(i)->form);
  }
  std::vector<uint32_t> in(n, 0);
  std::vector<bool> seen(n, false);
  std::vector<size_t> work = {0};
  seen[0] = true;
  auto flow = [&](size_t to, uint32_t state) {
    if (!seen[to] || (in[to] | state) != in[to]) {
      seen[to] = true;
      in[to] |= state;
      work.push_back(to);
    }
  };
  while (!work.empty()) {
    const size_t i = work.back();
    work.pop_back();
    const OpInfo& info = *program.op_at(i);
    const Instruction& insn = program[i];
    if ((reads(info, insn, helpers) & in[i]) != 0) {
      return fmt::format("instruction {} reads a register a helper call may have clobbered", i);
    }
    uint32_t out = in[i] & ~writes(info, insn);
    if (is_call(info.form)) {
      out |= kArgRegs;
    }
    const int64_t delta = info.form == Form::kJa32 || info.form == Form::kCallLocal ? insn.imm : insn.offset;
    const auto target = static_cast<size_t>(static_cast<int64_t>(i) + 1 + delta);
    switch (info.form) {
      case Form::kExit:
        break;
      case Form::kJa:
      case Form::kJa32:
        flow(target, out);
        break;
      case Form::kJmpImm:
      case Form::kJmpReg:
        flow(target, out);
        flow(next_slot(program, i), out);
        break;
      case Form::kCallLocal:
        // The callee starts with the caller's state and may call helpers itself.
        flow(target, out);
        flow(next_slot(program, i), has_call ? out | kArgRegs : out);
        break;
      default:
        flow(next_slot(program, i), out);
        break;
    }
  }
  return std::nullopt;
}

// Flow-insensitive: which registers may ever hold a value derived from r10.
std::optional<std::string> stack_address_escapes(const Program& program) {
  uint32_t tainted = bit(kFramePointer);
  bool has_call = false;
  for (size_t i = 0; i < program.size(); i = next_slot(program, i)) {
    has_call |= is_call(program.op_at(i)->form);
  }
  for (bool changed = true; changed;) {
    const uint32_t before = tainted;
    for (size_t i = 0; i < program.size(); i = next_slot(program, i)) {
      const OpInfo& info = *program.op_at(i);
      const Instruction& insn = program[i];
      if (info.form == Form::kAluReg && (tainted & bit(insn.src)) != 0) {
        tainted |= bit(insn.dst);
      }
    }
    if (has_call && (tainted & kArgRegs) != 0) {
      tainted |= bit(0);  // a helper may hand an argument back
    }
    changed = tainted != before;
  }
  for (size_t i = 0; i < program.size(); i = next_slot(program, i)) {
    const OpInfo& info = *program.op_at(i);
    const Instruction& insn = program[i];
    bool leaks = false;
    switch (info.form) {
      case Form::kStoreReg:
      case Form::kAtomic:
        leaks = (tainted & bit(insn.src)) != 0 ||
                ((info.id == Op::kAtomicCmpxchg64 || info.id == Op::kAtomicCmpxchg32) && (tainted & bit(0)) != 0);
        break;
      case Form::kJmpImm:
      case Form::kCallx:
        leaks = (tainted & bit(insn.dst)) != 0;
        break;
      case Form::kJmpReg:
        leaks = (tainted & (bit(insn.dst) | bit(insn.src))) != 0;
        break;
      case Form::kLdInd:
        leaks = (tainted & bit(insn.src)) != 0;
        break;
      case Form::kExit:
        leaks = (tainted & bit(0)) != 0;
        break;
      default:
        break;
    }
    if (leaks) {
      return fmt::format("instruction {} may expose a stack address", i);
    }
  }
  return std::nullopt;
}

EngineOutcome run_engine(Result<std::unique_ptr<Engine>> engine, uint8_t* buffer, std::span<const uint8_t> memory,
                         std::span<uint8_t> region, const std::vector<uint8_t>& region_start) {
  EngineOutcome out;
  if (!engine) {
    out.result = engine.take_error();
    return out;
  }
  out.created = true;
  if (!memory.empty()) {
    std::memcpy(buffer, memory.data(), memory.size());
  }
  std::copy(region_start.begin(), region_start.end(), region.begin());
  out.result = (*engine)->run(memory.empty() ? nullptr : buffer, memory.size());
  out.memory.assign(buffer, buffer + memory.size());
  out.region.assign(region.begin(), region.end());
  return out;
}

// The same run through Engine::run(RunArgs), which JIT engines do not shortcut.
EngineOutcome run_engine_general(const Engine& engine, uint8_t* buffer, std::span<const uint8_t> memory,
                                 std::span<uint8_t> region, const std::vector<uint8_t>& region_start) {
  EngineOutcome out;
  out.created = true;
  if (!memory.empty()) {
    std::memcpy(buffer, memory.data(), memory.size());
  }
  std::copy(region_start.begin(), region_start.end(), region.begin());
  out.result = engine.run(RunArgs{memory.empty() ? nullptr : buffer, memory.size()});
  out.memory.assign(buffer, buffer + memory.size());
  out.region.assign(region.begin(), region.end());
  return out;
}

std::string describe(const Result<uint64_t>& r) {
  if (r) {
    return fmt::format("r0 = 0x{:x}", *r);
  }
  return fmt::format("error {} at {}: {}", error_code_name(r.error().code),
                     r.error().insn ? std::to_string(*r.error().insn) : "-", r.error().message);
}

// Accesses through an address made from a stack address by anything but adding or subtracting (or,
// and, shifts, 32-bit truncation, ...): whether it lands in an active frame depends on the absolute
// addresses of each engine's stack. Conservative: taint flows through every register-to-register
// operation, and any non-linear operation touching a tainted value mangles its result.
std::optional<std::string> stack_address_mangled(const Program& program) {
  uint32_t tainted = bit(kFramePointer);
  uint32_t mangled = 0;
  auto linear = [](Op id) {
    return id == Op::kAdd64Imm || id == Op::kAdd64Reg || id == Op::kSub64Imm || id == Op::kSub64Reg ||
           id == Op::kMov64Reg;
  };
  for (bool changed = true; changed;) {
    const uint32_t before_tainted = tainted, before_mangled = mangled;
    for (size_t i = 0; i < program.size(); i = next_slot(program, i)) {
      const OpInfo& info = *program.op_at(i);
      const Instruction& insn = program[i];
      const bool reg_form = info.form == Form::kAluReg;
      const bool alu =
          reg_form || info.form == Form::kAluImm || info.form == Form::kAluUnary || info.form == Form::kEndian;
      if (!alu || info.id == Op::kMov64Imm || info.id == Op::kMov32Imm) {
        continue;
      }
      const bool reads_dst = !(info.id == Op::kMov64Reg || info.id == Op::kMov32Reg || info.id == Op::kMovsx8To64 ||
                               info.id == Op::kMovsx16To64 || info.id == Op::kMovsx32To64 ||
                               info.id == Op::kMovsx8To32 || info.id == Op::kMovsx16To32);
      const uint32_t inputs = (reg_form ? bit(insn.src) : 0) | (reads_dst ? bit(insn.dst) : 0);
      if ((inputs & tainted) != 0) {
        tainted |= bit(insn.dst);
        if (!linear(info.id) || (inputs & mangled) != 0) {
          mangled |= bit(insn.dst);
        }
      }
    }
    changed = tainted != before_tainted || mangled != before_mangled;
  }
  for (size_t i = 0; i < program.size(); i = next_slot(program, i)) {
    const OpInfo& info = *program.op_at(i);
    const Instruction& insn = program[i];
    const int base = info.form == Form::kLoad || info.form == Form::kLdInd ? insn.src
                     : info.form == Form::kStoreImm || info.form == Form::kStoreReg || info.form == Form::kAtomic
                         ? insn.dst
                         : -1;
    if (base >= 0 && (mangled & bit(base)) != 0) {
      return fmt::format("instruction {} accesses memory through a stack address changed by more than an offset", i);
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> differential_hazard(const Program& program, const HelperTable* helpers) {
  if (auto why = clobbered_read(program, helpers)) {
    return why;
  }
  if (auto why = stack_address_mangled(program)) {
    return why;
  }
  return stack_address_escapes(program);
}

std::string normalize_addresses(const std::string& message, uint64_t lo, uint64_t hi) {
  std::string out;
  size_t pos = 0;
  while (true) {
    const size_t at = message.find("0x", pos);
    if (at == std::string::npos) {
      out += message.substr(pos);
      return out;
    }
    size_t end = at + 2;
    while (end < message.size() && std::isxdigit(static_cast<unsigned char>(message[end]))) {
      ++end;
    }
    out += message.substr(pos, at - pos);
    const std::string digits = message.substr(at + 2, end - at - 2);
    const uint64_t value = digits.empty() || digits.size() > 16 ? 0 : std::stoull(digits, nullptr, 16);
    out += value >= lo && value < hi ? message.substr(at, end - at) : "0x?";
    pos = end;
  }
}

DifferentialOutcome compare_engines(const Program& program, const EngineOptions& options,
                                    std::span<const uint8_t> memory, const JitCompileOptions& jit_options,
                                    std::span<uint8_t> region) {
  // One buffer for both runs, so context addresses (and messages naming them) are the same.
  std::vector<uint8_t> buffer(std::max<size_t>(memory.size(), 1));
  const std::vector<uint8_t> region_start(region.begin(), region.end());
  DifferentialOutcome out;
  out.interp = run_engine(create_engine(EngineKind::kInterpreter, program, options), buffer.data(), memory, region,
                          region_start);
  auto jit = create_jit_engine(program, options, jit_options);
  std::optional<EngineOutcome> general;
  if (jit) {
    general = run_engine_general(**jit, buffer.data(), memory, region, region_start);
  }
  out.jit = run_engine(std::move(jit), buffer.data(), memory, region, region_start);

  const auto ctx = reinterpret_cast<uint64_t>(buffer.data());
  auto same_result = [&](const Result<uint64_t>& a, const Result<uint64_t>& b) {
    if (a.ok() != b.ok()) {
      return false;
    }
    if (a.ok()) {
      return *a == *b;
    }
    const uint64_t lo = ctx > 65536 ? ctx - 65536 : 0;
    const uint64_t hi = ctx + memory.size() + 65536;
    return a.error().code == b.error().code && a.error().insn == b.error().insn &&
           normalize_addresses(a.error().message, lo, hi) == normalize_addresses(b.error().message, lo, hi);
  };
  if (general && (!same_result(general->result, out.jit.result) || general->memory != out.jit.memory ||
                  general->region != out.jit.region)) {
    out.same = false;
    out.difference = fmt::format("JIT through run(ctx, len): {}\nJIT through run(RunArgs): {}",
                                 describe(out.jit.result), describe(general->result));
    return out;
  }
  if (out.interp.created != out.jit.created || !same_result(out.interp.result, out.jit.result)) {
    out.same = false;
    out.difference =
        fmt::format("interpreter: {}\njit:         {}", describe(out.interp.result), describe(out.jit.result));
    return out;
  }
  auto compare_bytes = [&](const std::vector<uint8_t>& a, const std::vector<uint8_t>& b, const char* what) {
    if (a == b) {
      return;
    }
    size_t first = 0;
    while (a[first] == b[first]) {
      ++first;
    }
    out.same = false;
    out.difference = fmt::format("{} differs from byte {}: interpreter 0x{:02x}, jit 0x{:02x} ({})", what, first,
                                 a[first], b[first], describe(out.interp.result));
  };
  compare_bytes(out.interp.memory, out.jit.memory, "memory");
  if (out.same) {
    compare_bytes(out.interp.region, out.jit.region, "region");
  }
  return out;
}

}  // namespace bpfrt
