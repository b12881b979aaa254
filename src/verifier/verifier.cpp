// The depth-first walk over all paths, the entry state, final checks and the report.
#include "bpfrt/verifier.hpp"

#include <algorithm>
#include <functional>

#include <fmt/format.h>

#include "verifier/insn_text.hpp"
#include "verifier/verifier_env.hpp"

namespace bpfrt::verifier {
namespace {

// Instructions remembered per path segment for precision tracking.
constexpr size_t kMaxHistory = 128;

bool is_memory_access(Form form) {
  return form == Form::kLoad || form == Form::kStoreImm || form == Form::kStoreReg || form == Form::kAtomic;
}

// Access regions whose bounds do not depend on what the caller passes at run time. The context
// counts: engines refuse to run a verified program on a context shorter than ctx_size_required
// (EngineOptions::min_ctx_size). Packet bounds come from the context's data/data_end at run time.
constexpr uint8_t kFixedRegions = (1u << static_cast<int>(AccessRegion::kStack)) |
                                  (1u << static_cast<int>(AccessRegion::kContext)) |
                                  (1u << static_cast<int>(AccessRegion::kMapValue)) |
                                  (1u << static_cast<int>(AccessRegion::kHelperMemory));

}  // namespace

Verifier::Verifier(const Program& program, const VerifyOptions& options, const ProgramTypeInfo& type)
    : program_(program), options_(options), type_(type), limits_(options.limits) {
  allow_ptr_leaks_ = options.allow_ptr_leaks.value_or(type.allow_ptr_leaks);
  if (type.ctx_model == CtxModel::kMemory) {
    ctx_size_ = options.ctx_size;
  } else if (type.type == ProgramType::kSyscall && options.ctx_size != 0) {
    ctx_size_ = std::min<size_t>(options.ctx_size, type.window_hi);
  } else {
    ctx_size_ = type.ctx_model == CtxModel::kWindow ? type.window_hi : type.ctx_size;
  }
}

Status Verifier::prepare() {
  const size_t n = program_.size();
  if (n > limits_.max_insns) {
    return make_error(ErrorCode::kRefused,
                      fmt::format("program has {} instructions, more than the limit of {}", n, limits_.max_insns));
  }
  auto cfg = build_cfg(program_, options_.helpers);
  if (!cfg) {
    return cfg.take_error();
  }
  cfg_ = std::move(*cfg);
  for (size_t i = 0; i < n; ++i) {
    const OpInfo* info = program_.op_at(i);
    if (info != nullptr && (info->form == Form::kLdAbs || info->form == Form::kLdInd)) {
      has_ld_abs_ = true;
      if (cfg_.subprogs.size() > 1) {
        return make_error(ErrorCode::kRefused, "BPF_LD_[ABS|IND] instructions cannot be mixed with bpf-to-bpf calls",
                          i);
      }
    }
  }
  callback_insn_.assign(n, false);
  for (size_t i = 0; i < n; ++i) {
    const OpInfo* info = program_.op_at(i);
    const HelperEntry* helper = info != nullptr && info->form == Form::kCallHelper && options_.helpers != nullptr
                                    ? options_.helpers->find(program_[i].imm)
                                    : nullptr;
    if (helper != nullptr) {
      for (ArgType arg : helper->prototype.args) {
        callback_insn_[i] = callback_insn_[i] || arg == ArgType::kPtrToFunc;
      }
    }
  }
  // Checks on every instruction, reachable or not, as the kernel's load-time passes do: the helpers and
  // maps a program names must exist even in code no path reaches, since engines resolve them all.
  for (size_t i = 0; i < n; ++i) {
    const OpInfo* info = program_.op_at(i);
    if (info == nullptr) {
      continue;
    }
    cur_.insn = static_cast<int>(i);
    if (info->form == Form::kCallHelper &&
        (options_.helpers == nullptr || options_.helpers->find(program_[i].imm) == nullptr)) {
      return refuse(fmt::format("invalid func unknown#{}", program_[i].imm));
    }
    if (info->form == Form::kCallKfunc) {
      return refuse("kfunc calls are not supported (bpfrt has no kernel functions)");
    }
    if (info->form == Form::kLddw) {
      const auto source = static_cast<LddwSrc>(program_[i].src);
      if (source == LddwSrc::kBtfId) {
        return refuse("lddw btf_id is not supported (bpfrt has no kernel BTF)");
      }
      if (source != LddwSrc::kImm64 && source != LddwSrc::kFunc) {
        Error error;
        if (map_index(source, program_[i].imm, error) < 0) {
          return error;
        }
      }
    }
  }
  cur_.insn = 0;
  explored_.resize(n);
  visited_.assign(n, false);
  regions_.assign(n, 0);
  unproven_.assign(n, false);
  subprog_stack_depth_.assign(cfg_.subprogs.size(), 0);
  return {};
}

State Verifier::initial_state() const {
  State s;
  s.frames.emplace_back();
  Frame& f = s.frames.back();
  f.regs[10] = RegState::pointer(RegType::kStack);
  if (type_.ctx_model == CtxModel::kMemory && ctx_size_ == 0) {
    f.regs[1] = RegState::constant(0);  // no context memory: r1 is NULL
  } else {
    f.regs[1] = RegState::pointer(RegType::kCtx);
  }
  if (type_.raw_registers) {
    // r2 is the length of the context the program runs with, which engines only require to cover
    // what the program reads (ctx_size_required), not to equal ctx_size: any value.
    f.regs[2] = RegState::unknown();
  }
  return s;
}

Status Verifier::check_reg_read(int regno) const {
  if (cur_.reg(regno).type == RegType::kNotInit) {
    return refuse(fmt::format("R{} !read_ok", regno));
  }
  return {};
}

Error Verifier::refuse(std::string reason) const {
  return make_error(ErrorCode::kRefused, std::move(reason), static_cast<size_t>(cur_.insn));
}

void Verifier::push_branch(State state, int from) {
  if (state.parent != nullptr) {
    ++state.parent->branches;
  }
  pending_.push_back(Pending{std::move(state), from});
}

bool Verifier::pop_branch() {
  if (pending_.empty()) {
    return false;
  }
  Pending p = std::move(pending_.back());
  pending_.pop_back();
  cur_ = std::move(p.state);
  if (options_.log_level >= 1) {
    log(fmt::format("\nfrom {} to {}: {}", p.from, cur_.insn, state_text(cur_)));
  }
  return true;
}

void Verifier::finish_path(const State& state) {
  for (ExploredState* p = state.parent; p != nullptr; p = p->state.parent) {
    if (--p->branches > 0) {
      break;
    }
  }
}

Status Verifier::do_check() {
  cur_ = initial_state();
  if (options_.log_level >= 1) {
    log(fmt::format("0: {}", state_text(cur_)));
  }
  for (;;) {
    const auto insn = static_cast<size_t>(cur_.insn);
    if (cfg_.prune_point[insn]) {
      auto pruned = is_state_visited();
      if (!pruned) {
        return pruned.take_error();
      }
      if (*pruned) {
        if (options_.log_level >= 1) {
          log(fmt::format("{}: safe", insn));
        }
        finish_path(cur_);
        if (!pop_branch()) {
          return {};
        }
        continue;
      }
    }
    if (++stats_.insns_processed > limits_.max_processed) {
      return refuse(fmt::format("BPF program is too large. Processed {} insn", stats_.insns_processed));
    }
    ++insns_since_state_;
    visited_[insn] = true;
    if (cur_.history.size() >= kMaxHistory) {
      // Too long to walk back through: make everything precise instead, which needs no walking.
      mark_all_precise();
      cur_.history.clear();
      cur_.linked.clear();
    }
    cur_.history.push_back(HistEntry{static_cast<int32_t>(insn), static_cast<int8_t>(cur_.curframe())});
    if (options_.log_level >= 1) {
      log(insn_line(insn));
    }
    auto next = step();
    if (!next) {
      return next.take_error();
    }
    if (options_.log_level >= 2 && *next) {
      log(fmt::format("{}: {}", cur_.insn, state_text(cur_)));
    }
    if (!*next) {
      finish_path(cur_);
      if (!pop_branch()) {
        return {};
      }
    }
  }
}

Result<bool> Verifier::step() {
  const auto i = static_cast<size_t>(cur_.insn);
  const OpInfo& info = *program_.op_at(i);
  const Instruction& insn = program_[i];
  switch (info.form) {
    case Form::kAluImm:
    case Form::kAluReg:
    case Form::kAluUnary:
    case Form::kEndian:
      BPFRT_TRY(check_alu(info, insn));
      cur_.insn += 1;
      return true;
    case Form::kLoad:
      BPFRT_TRY(check_load(info, insn));
      cur_.insn += 1;
      return true;
    case Form::kStoreImm:
    case Form::kStoreReg:
      BPFRT_TRY(check_store(info, insn));
      cur_.insn += 1;
      return true;
    case Form::kAtomic:
      BPFRT_TRY(check_atomic(info, insn));
      cur_.insn += 1;
      return true;
    case Form::kLddw:
      BPFRT_TRY(check_lddw(insn));
      cur_.insn += 2;
      return true;
    case Form::kLdAbs:
    case Form::kLdInd:
      BPFRT_TRY(check_legacy_packet_load(info, insn));
      cur_.insn += 1;
      return true;
    case Form::kJa:
    case Form::kJa32:
      ++jumps_since_state_;
      cur_.insn = static_cast<int>(branch_target(program_, i));
      return true;
    case Form::kJmpImm:
    case Form::kJmpReg:
      ++jumps_since_state_;
      return check_cond_jump(info, insn);
    case Form::kCallHelper:
      return check_helper_call(insn, insn.imm);
    case Form::kCallx: {
      if (type_.kernel_isa) {
        return refuse(
            fmt::format("callx (call %r{}) is a bpfrt extension, not available to {} programs", insn.dst, type_.name));
      }
      BPFRT_TRY(check_reg_read(insn.dst));
      mark_precise(insn.dst);
      const RegState& target = cur_.reg(insn.dst);
      if (!target.is_const_scalar() || static_cast<int64_t>(target.var.const_value()) !=
                                           static_cast<int64_t>(static_cast<int32_t>(target.var.const_value()))) {
        return refuse(fmt::format("callx R{} must hold a known helper id, has {}", insn.dst, reg_text(target)));
      }
      return check_helper_call(insn, static_cast<int32_t>(target.var.const_value()));
    }
    case Form::kCallLocal:
      return check_local_call(insn);
    case Form::kCallKfunc:
      return refuse("kfunc calls are not supported (bpfrt has no kernel functions)");
    case Form::kExit:
      return check_exit();
  }
  return refuse("unknown instruction");
}

void Verifier::note_access(AccessRegion region, bool proven) {
  const auto i = static_cast<size_t>(cur_.insn);
  regions_[i] |= static_cast<uint8_t>(1u << static_cast<int>(region));
  if (!proven) {
    unproven_[i] = true;
  }
}

Status Verifier::finalize() {
  // The static call graph (local calls and callbacks): no recursion, at most max_call_frames frames
  // and limits.stack_size bytes of stack along any chain, each frame rounded up to 32 bytes as the
  // kernel does.
  const size_t nsub = cfg_.subprogs.size();
  std::vector<std::vector<int>> calls(nsub);
  for (size_t i = 0; i < program_.size(); ++i) {
    const OpInfo* info = program_.op_at(i);
    if (info != nullptr && (info->form == Form::kCallLocal || info->id == Op::kLddwFunc)) {
      calls[static_cast<size_t>(cfg_.subprog_of[i])].push_back(cfg_.subprog_starting_at(branch_target(program_, i)));
    }
  }
  enum : uint8_t { kUnseen, kOnPath, kDone };
  std::vector<uint8_t> mark(nsub, kUnseen);
  std::vector<uint32_t> chain_bytes(nsub, 0);
  std::vector<int> chain_frames(nsub, 0);
  std::function<Status(int)> visit = [&](int s) -> Status {
    const auto u = static_cast<size_t>(s);
    if (mark[u] == kOnPath) {
      return make_error(ErrorCode::kRefused,
                        fmt::format("the call stack of {} frames is too deep ! (recursive call of the subprogram at "
                                    "insn {})",
                                    limits_.max_call_frames + 1, cfg_.subprogs[u].start));
    }
    if (mark[u] == kDone) {
      return {};
    }
    mark[u] = kOnPath;
    uint32_t deepest_bytes = 0;
    int deepest_frames = 0;
    for (int callee : calls[u]) {
      BPFRT_TRY(visit(callee));
      deepest_bytes = std::max(deepest_bytes, chain_bytes[static_cast<size_t>(callee)]);
      deepest_frames = std::max(deepest_frames, chain_frames[static_cast<size_t>(callee)]);
    }
    const uint32_t own = (std::max<uint32_t>(subprog_stack_depth_[u], 1) + 31) / 32 * 32;
    chain_bytes[u] = own + deepest_bytes;
    chain_frames[u] = 1 + deepest_frames;
    mark[u] = kDone;
    return {};
  };
  BPFRT_TRY(visit(0));
  if (chain_frames[0] > limits_.max_call_frames) {
    return make_error(ErrorCode::kRefused, fmt::format("the call stack of {} frames is too deep !", chain_frames[0]));
  }
  if (chain_bytes[0] > limits_.stack_size) {
    return make_error(ErrorCode::kRefused,
                      fmt::format("combined stack size of {} calls is {}. Too large", chain_frames[0], chain_bytes[0]));
  }
  combined_stack_depth_ = chain_bytes[0];
  stats_.peak_states = std::max(stats_.peak_states, live_states_);
  return {};
}

VerifierReport Verifier::run() {
  start_ = std::chrono::steady_clock::now();
  VerifierReport report;
  Status status = prepare();
  if (status) {
    status = do_check();
  }
  if (status) {
    status = finalize();
  }
  stats_.duration = std::chrono::steady_clock::now() - start_;
  report.stats = stats_;
  if (!status) {
    const Error& error = status.error();
    report.accepted = false;
    report.reason = error.message;
    report.insn = error.insn;
    if (error.insn && !visited_.empty() && options_.log_level == 0) {
      log(fmt::format("{}  ; {}", insn_line(*error.insn), disassemble_one(program_, *error.insn)));
    }
    if (!visited_.empty()) {
      log(state_text(cur_));
    }
    log(error.message);
  } else {
    report.accepted = true;
  }
  log(format_verifier_stats(stats_, limits_));
  report.log = std::move(log_);
  if (log_truncated_) {
    report.log += "(log truncated)\n";
  }
  if (!report.accepted) {
    return report;
  }

  const size_t n = program_.size();
  report.access_proven_safe.assign(n, false);
  report.access_region.assign(n, AccessRegion::kNone);
  for (size_t i = 0; i < n; ++i) {
    const OpInfo* info = program_.op_at(i);
    if (info == nullptr || !is_memory_access(info->form) || !visited_[i]) {
      continue;
    }
    const uint8_t seen = regions_[i];
    if (seen != 0 && (seen & (seen - 1)) == 0) {
      report.access_region[i] = static_cast<AccessRegion>(__builtin_ctz(seen));
    } else if (seen != 0) {
      report.access_region[i] = AccessRegion::kMixed;
    }
    report.access_proven_safe[i] = seen != 0 && !unproven_[i] && (seen & ~kFixedRegions) == 0;
  }
  for (uint32_t depth : subprog_stack_depth_) {
    report.stack_depth = std::max(report.stack_depth, depth);
  }
  report.combined_stack_depth = combined_stack_depth_;
  report.ctx_size_required = ctx_size_required_;
  report.uses_tail_calls = uses_tail_calls_;
  return report;
}

std::string Verifier::insn_line(size_t index) const {
  return kernel_insn_line(program_, index, options_.helpers);
}

void Verifier::log(const std::string& line) {
  if (log_truncated_) {
    return;
  }
  if (log_.size() + line.size() + 1 > limits_.max_log_bytes) {
    log_truncated_ = true;
    return;
  }
  log_ += line;
  log_ += '\n';
}

}  // namespace bpfrt::verifier

namespace bpfrt {

Result<VerifierReport> verify_program(const Program& program, const VerifyOptions& options) {
  const verifier::ProgramTypeInfo* type = verifier::find_program_type(options.type);
  if (type == nullptr) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("unsupported program type {}", static_cast<uint32_t>(options.type)));
  }
  if (options.log_level < 0 || options.log_level > 2) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("log level {} is out of range (0, 1 or 2)", options.log_level));
  }
  verifier::Verifier v(program, options, *type);
  return v.run();
}

Error VerifierReport::error() const {
  std::string message = "the verifier refused the program";
  message += log.empty() ? ": " + reason : ":\n" + log;
  while (!message.empty() && message.back() == '\n') {
    message.pop_back();
  }
  return make_error(ErrorCode::kRefused, std::move(message), insn);
}

std::string format_verifier_stats(const VerifierStats& stats, const VerifierLimits& limits) {
  return fmt::format(
      "processed {} insns (limit {}) max_states_per_insn {} total_states {} peak_states {} pruned {}\n"
      "verification time {} usec",
      stats.insns_processed, limits.max_processed, stats.max_states_per_insn, stats.states_kept, stats.peak_states,
      stats.states_pruned, std::chrono::duration_cast<std::chrono::microseconds>(stats.duration).count());
}

}  // namespace bpfrt
