// Subprograms, structural checks, prune points and a classic backward liveness analysis.
#include "verifier/cfg.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace bpfrt::verifier {
namespace {

constexpr uint16_t reg_bit(int r) {
  return static_cast<uint16_t>(1u << r);
}
constexpr uint16_t kArgRegs = reg_bit(1) | reg_bit(2) | reg_bit(3) | reg_bit(4) | reg_bit(5);
constexpr uint16_t kCallerSaved = reg_bit(0) | kArgRegs;

Error cfg_error(size_t insn, std::string message) {
  return make_error(ErrorCode::kRefused, std::move(message), insn);
}

bool is_cond_jump(Form form) {
  return form == Form::kJmpImm || form == Form::kJmpReg;
}

bool is_jump(Form form) {
  return form == Form::kJa || form == Form::kJa32 || is_cond_jump(form);
}

// Registers an instruction reads and writes, for liveness.
struct UseDef {
  uint16_t use = 0;
  uint16_t def = 0;
};

UseDef use_def(const Program& program, size_t i, const HelperTable* helpers) {
  const OpInfo& info = *program.op_at(i);
  const Instruction& insn = program[i];
  const uint16_t dst = reg_bit(insn.dst);
  const uint16_t src = reg_bit(insn.src);
  const bool is_mov =
      (info.opcode & 0xf0) == 0xb0 && (op::cls(info.opcode) == op::kClsAlu || op::cls(info.opcode) == op::kClsAlu64);
  switch (info.form) {
    case Form::kAluImm:
      return {static_cast<uint16_t>(is_mov ? 0 : dst), dst};
    case Form::kAluReg:
      return {static_cast<uint16_t>(is_mov ? src : (dst | src)), dst};
    case Form::kAluUnary:
    case Form::kEndian:
      return {dst, dst};
    case Form::kLoad:
      return {src, dst};
    case Form::kStoreImm:
      return {dst, 0};
    case Form::kStoreReg:
      return {static_cast<uint16_t>(dst | src), 0};
    case Form::kAtomic: {
      const bool cmpxchg = info.id == Op::kAtomicCmpxchg64 || info.id == Op::kAtomicCmpxchg32;
      const bool fetch = (insn.imm & op::kAtomicFetch) != 0;
      if (cmpxchg) {
        return {static_cast<uint16_t>(dst | src | reg_bit(0)), reg_bit(0)};
      }
      return {static_cast<uint16_t>(dst | src), static_cast<uint16_t>(fetch ? src : 0)};
    }
    case Form::kLddw:
      return {0, dst};
    case Form::kLdAbs:
      return {reg_bit(6), kCallerSaved};
    case Form::kLdInd:
      return {static_cast<uint16_t>(reg_bit(6) | src), kCallerSaved};
    case Form::kJmpImm:
      return {dst, 0};
    case Form::kJmpReg:
      return {static_cast<uint16_t>(dst | src), 0};
    case Form::kCallHelper: {
      const int n = helper_arg_count(helpers, insn.imm);
      return {static_cast<uint16_t>(((1u << (n + 1)) - 1) & kArgRegs), kCallerSaved};
    }
    case Form::kCallx:
      return {static_cast<uint16_t>(dst | kArgRegs), kCallerSaved};
    case Form::kCallLocal:
    case Form::kCallKfunc:
      return {kArgRegs, kCallerSaved};
    case Form::kExit:
      return {reg_bit(0), 0};
    default:
      return {};
  }
}

}  // namespace

int Cfg::subprog_starting_at(size_t insn) const {
  for (size_t i = 0; i < subprogs.size(); ++i) {
    if (subprogs[i].start == insn) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

size_t branch_target(const Program& program, size_t index) {
  const Instruction& insn = program[index];
  const Form form = program.op_at(index)->form;
  const int64_t delta = (form == Form::kJa || is_cond_jump(form)) ? insn.offset : insn.imm;
  return static_cast<size_t>(static_cast<int64_t>(index) + 1 + delta);
}

int helper_arg_count(const HelperTable* helpers, int32_t id) {
  const HelperEntry* entry = helpers != nullptr ? helpers->find(id) : nullptr;
  if (entry == nullptr) {
    return 5;
  }
  int n = 0;
  for (size_t a = 0; a < entry->prototype.args.size(); ++a) {
    if (entry->prototype.args[a] != ArgType::kNone) {
      n = static_cast<int>(a) + 1;
    }
  }
  return n;
}

Result<Cfg> build_cfg(const Program& program, const HelperTable* helpers) {
  const size_t n = program.size();
  Cfg cfg;

  // Subprogram entries: the program start, local call targets and lddw func targets.
  std::vector<size_t> starts = {0};
  for (size_t i = 0; i < n; ++i) {
    const OpInfo* info = program.op_at(i);
    if (info == nullptr) {
      continue;
    }
    if (info->form == Form::kCallLocal || info->id == Op::kLddwFunc) {
      const int64_t target = static_cast<int64_t>(i) + 1 + program[i].imm;
      if (target < 0 || target >= static_cast<int64_t>(n) || program.op_at(static_cast<size_t>(target)) == nullptr) {
        return cfg_error(i, fmt::format("call to invalid destination from insn {}", i));
      }
      starts.push_back(static_cast<size_t>(target));
    }
  }
  std::sort(starts.begin(), starts.end());
  starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
  cfg.subprog_of.assign(n, 0);
  for (size_t s = 0; s < starts.size(); ++s) {
    const size_t end = s + 1 < starts.size() ? starts[s + 1] : n;
    cfg.subprogs.push_back({starts[s], end});
    for (size_t i = starts[s]; i < end; ++i) {
      cfg.subprog_of[i] = static_cast<int>(s);
    }
  }

  // Jumps stay inside their subprogram; each subprogram ends with exit or an unconditional jump.
  for (const Subprog& sp : cfg.subprogs) {
    for (size_t i = sp.start; i < sp.end; ++i) {
      const OpInfo* info = program.op_at(i);
      if (info != nullptr && is_jump(info->form)) {
        const size_t target = branch_target(program, i);
        if (target < sp.start || target >= sp.end) {
          return cfg_error(i, fmt::format("jump out of range from insn {} to {}", i, target));
        }
      }
    }
    size_t last = sp.end - 1;
    if (program.op_at(last) == nullptr) {
      --last;  // second slot of an lddw
    }
    const Form form = program.op_at(last)->form;
    if (form != Form::kExit && form != Form::kJa && form != Form::kJa32) {
      return cfg_error(last, fmt::format("last insn is not an exit or jmp (insn {})", last));
    }
  }

  // Successors, reachability and prune points.
  std::vector<std::vector<size_t>> succ(n);
  cfg.prune_point.assign(n, false);
  for (size_t i = 0; i < n; ++i) {
    const OpInfo* info = program.op_at(i);
    if (info == nullptr) {
      continue;
    }
    const size_t next = i + (info->form == Form::kLddw ? 2 : 1);
    switch (info->form) {
      case Form::kExit:
        break;
      case Form::kJa:
      case Form::kJa32:
        succ[i].push_back(branch_target(program, i));
        cfg.prune_point[branch_target(program, i)] = true;
        break;
      case Form::kJmpImm:
      case Form::kJmpReg:
        succ[i].push_back(next);
        succ[i].push_back(branch_target(program, i));
        cfg.prune_point[next] = true;
        cfg.prune_point[branch_target(program, i)] = true;
        break;
      case Form::kCallLocal:
        succ[i].push_back(next);
        cfg.prune_point[next] = true;
        break;
      case Form::kCallHelper:
      case Form::kCallx:
        succ[i].push_back(next);
        cfg.prune_point[i] = true;  // callbacks loop back to the call
        break;
      default:
        succ[i].push_back(next);
        break;
    }
  }
  for (const Subprog& sp : cfg.subprogs) {
    cfg.prune_point[sp.start] = true;
  }

  // Subprograms only count as reachable when something reachable calls them (or takes their address).
  std::vector<bool> seen(n, false);
  std::vector<bool> sub_reached(cfg.subprogs.size(), false);
  sub_reached[0] = true;
  std::vector<size_t> work = {0};
  while (!work.empty()) {
    const size_t i = work.back();
    work.pop_back();
    if (seen[i]) {
      continue;
    }
    seen[i] = true;
    const OpInfo* info = program.op_at(i);
    if (info->form == Form::kCallLocal || info->id == Op::kLddwFunc) {
      const int s = cfg.subprog_starting_at(static_cast<size_t>(static_cast<int64_t>(i) + 1 + program[i].imm));
      if (s >= 0 && !sub_reached[static_cast<size_t>(s)]) {
        sub_reached[static_cast<size_t>(s)] = true;
        work.push_back(cfg.subprogs[static_cast<size_t>(s)].start);
      }
    }
    for (size_t t : succ[i]) {
      if (!seen[t]) {
        work.push_back(t);
      }
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (program.op_at(i) != nullptr && !seen[i]) {
      return cfg_error(i, fmt::format("unreachable insn {}", i));
    }
  }

  // Liveness: live_in = use | (live_out & ~def), iterated to a fixed point (backwards order converges
  // fast for code without loops).
  cfg.live_in.assign(n, 0);
  std::vector<UseDef> ud(n);
  for (size_t i = 0; i < n; ++i) {
    if (program.op_at(i) != nullptr) {
      ud[i] = use_def(program, i, helpers);
    }
  }
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t k = n; k-- > 0;) {
      if (program.op_at(k) == nullptr) {
        continue;
      }
      uint16_t out = 0;
      for (size_t t : succ[k]) {
        out |= cfg.live_in[t];
      }
      const auto in = static_cast<uint16_t>(ud[k].use | (out & ~ud[k].def));
      if (in != cfg.live_in[k]) {
        cfg.live_in[k] = in;
        changed = true;
      }
    }
  }
  return cfg;
}

}  // namespace bpfrt::verifier
