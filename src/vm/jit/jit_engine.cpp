#include "vm/jit/jit_engine.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>

#include <fmt/format.h>

#include "vm/fault.hpp"
#include "vm/jit/jit_arena.hpp"
#include "vm/jit_factory.hpp"

namespace bpfrt {
namespace {

// Stacks up to this size live on the host thread's stack; larger ones are allocated per run.
constexpr size_t kInlineStackBytes = kDefaultStackSize * kMaxCallFrames;

// rc.failure when a callback failed; its error is kept aside and ends the run.
constexpr const char* kCallbackFailed = "a callback failed";

// callx ids below this bound are looked up in a table inside the code; others out of line.
constexpr int32_t kMaxCallxTable = 1 << 16;

std::string where(const Program& program, size_t i) {
  return fmt::format("instruction {} ({})", i, disassemble_one(program, i));
}

}  // namespace

Result<std::unique_ptr<JitEngine>> JitEngine::create(Program program, EngineOptions options,
                                                     const JitCompileOptions& compile_options) {
  if (!options.proven_safe.empty() && options.proven_safe.size() != program.size()) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("proven_safe has {} entries but the program has {} instruction slots",
                                  options.proven_safe.size(), program.size()));
  }
  std::unique_ptr<JitEngine> engine(new JitEngine(std::move(program), std::move(options)));
  BPFRT_TRY(engine->compile(compile_options));
  return engine;
}

// Resolves what the code embeds (helper addresses, lddw constants), in the interpreter's order and
// with its messages, then generates the code.
Status JitEngine::compile(const JitCompileOptions& compile_options) {
  const Program& prog = program_;
  CompileArena arena;
  JitInput input(arena.resource());
  input.program = &prog;
  input.options = &options_;
  input.lddw_values.assign(prog.size(), 0);
  input.helper_fns.assign(prog.size(), nullptr);
  auto mark_calls_back = [&](size_t i) {
    input.calls_back.resize(prog.size(), false);
    input.calls_back[i] = true;
  };
  for (size_t i = 0; i < prog.size(); ++i) {
    const OpInfo* info = prog.op_at(i);
    if (info == nullptr) {
      continue;
    }
    const Instruction& insn = prog[i];
    if (info->form == Form::kLddw) {
      if (insn.src == static_cast<uint8_t>(LddwSrc::kImm64)) {
        input.lddw_values[i] = prog.lddw_imm64(i);
      } else if (insn.src == static_cast<uint8_t>(LddwSrc::kFunc)) {
        // A callback: the target instruction's index, as in the interpreter; call_function maps it to
        // the code.
        const int64_t target = static_cast<int64_t>(i) + insn.imm + 1;
        if (target < 0 || static_cast<size_t>(target) >= prog.size() ||
            prog.op_at(static_cast<size_t>(target)) == nullptr) {
          return make_error(ErrorCode::kInvalidArgument,
                            fmt::format("{}: function target {} is outside the program", where(prog, i), target), i);
        }
        input.lddw_values[i] = static_cast<uint64_t>(target);
      } else if (options_.resolve_lddw) {
        auto value = options_.resolve_lddw(insn, prog[i + 1], i);
        if (!value) {
          return value.take_error();
        }
        input.lddw_values[i] = *value;
        if (options_.map_lookup_shortcut &&
            (insn.src == static_cast<uint8_t>(LddwSrc::kMapFd) || insn.src == static_cast<uint8_t>(LddwSrc::kMapIdx))) {
          input.map_shortcuts.resize(prog.size());
          input.map_shortcuts[i] = options_.map_lookup_shortcut(*value);
        }
      } else {
        return make_error(ErrorCode::kUnsupported,
                          fmt::format("{}: nothing resolves this pseudo source here (load the program "
                                      "through the object loader or the registry)",
                                      where(prog, i)),
                          i);
      }
    } else if (info->form == Form::kCallHelper) {
      const HelperEntry* entry = options_.helpers == nullptr ? nullptr : options_.helpers->find(insn.imm);
      if (entry == nullptr || entry->fn == nullptr) {
        return make_error(ErrorCode::kNotFound, fmt::format("{}: unknown helper {}", where(prog, i), insn.imm), i);
      }
      input.helper_fns[i] = entry->fn;
      if (std::find(entry->prototype.args.begin(), entry->prototype.args.end(), ArgType::kPtrToFunc) !=
          entry->prototype.args.end()) {
        mark_calls_back(i);
      }
    } else if (info->form == Form::kCallx) {
      mark_calls_back(i);  // the helper is known only at run time
    } else if (info->form == Form::kCallKfunc) {
      return make_error(ErrorCode::kUnsupported, fmt::format("{}: kfunc calls are not supported", where(prog, i)), i);
    }
  }
  if (options_.helpers != nullptr) {
    int32_t table_size = 0;
    for (const HelperEntry* entry : options_.helpers->entries()) {
      if (entry->id >= 0 && entry->id < kMaxCallxTable) {
        table_size = std::max(table_size, entry->id + 1);
      }
    }
    callx_table_.assign(static_cast<size_t>(table_size), nullptr);
    for (const HelperEntry* entry : options_.helpers->entries()) {
      if (entry->id >= 0 && entry->id < table_size) {
        callx_table_[static_cast<size_t>(entry->id)] = entry->fn;
      }
    }
  }
  input.callx_table = callx_table_.data();
  input.direct_fault = &JitEngine::direct_fault;
  input.engine = this;
  input.callx_table_size = callx_table_.size();
  auto compiled = compile_jit(input, compile_options);
  if (!compiled) {
    return compiled.take_error();
  }
  code_ = std::move(compiled->code);
  stats_ = compiled->stats;
  unwind_ = JitUnwindInfo(code_.data(), compiled->frames);
  entry_ = reinterpret_cast<JitEntry>(const_cast<uint8_t*>(code_.data()));
  if (compiled->callback_entry != SIZE_MAX) {
    callback_entry_ = reinterpret_cast<JitCallbackEntry>(const_cast<uint8_t*>(code_.data() + compiled->callback_entry));
    for (const auto& [slot, offset] : compiled->callbacks) {
      callbacks_.emplace_back(slot, code_.data() + offset);
    }
  }
  if (compiled->direct) {
    direct_ = reinterpret_cast<DirectEntry>(const_cast<uint8_t*>(code_.data()));
  }
  return {};
}

Result<uint64_t> JitEngine::execute(const RunArgs& args, RunContext& rc) const {
  JitArgs call;
  call.rc = &rc;
  std::optional<Error> callback_error;
  // Always (re)set: after a tail call rc may still carry the previous program's engine's callback.
  rc.call_function = nullptr;
  rc.engine_state = nullptr;
  if (callback_entry_ != nullptr) {
    call.engine = this;
    call.callback_error = &callback_error;
    rc.call_function = &JitEngine::call_function;
  }
  call.packet = reinterpret_cast<uint64_t>(args.packet != nullptr ? args.packet : args.ctx);
  call.packet_len = args.packet != nullptr ? args.packet_len : (args.ctx == nullptr ? 0 : args.ctx_len);
  std::unique_ptr<uint8_t[]> heap_stack;
  const size_t stack_bytes = options_.stack_size * kMaxCallFrames;
  if (stack_bytes > kInlineStackBytes) {
    // Zeroed like the interpreter's heap stack, so the two engines see the same bytes.
    heap_stack = std::make_unique<uint8_t[]>(stack_bytes);
    call.stack_top = reinterpret_cast<uint64_t>(heap_stack.get() + stack_bytes);
  }
  const JitReturn r = entry_(args.ctx, args.ctx_len, &call);
  if (r.status == 0) [[likely]] {
    return r.r0;
  }
  if (call.exit == JitExit::kHelperStopped && rc.failure == nullptr) {
    return rc.stop_value;  // stop() or a tail call, which Engine::run follows
  }
  if (call.exit == JitExit::kHelperStopped && rc.failure == kCallbackFailed && callback_error) {
    return std::move(*callback_error);
  }
  return exit_error(call, &rc);
}

Error JitEngine::exit_error(const JitArgs& state, const RunContext* rc) const {
  Fault fault;
  switch (state.exit) {
    case JitExit::kOutOfBounds:
    case JitExit::kMisaligned:
      fault.code = ErrorCode::kOutOfBounds;
      fault.misaligned = state.exit == JitExit::kMisaligned;
      fault.addr = state.addr;
      fault.size = state.access & 0xff;
      fault.write = (state.access & 0x100) != 0;
      break;
    case JitExit::kBudget:
      fault.code = ErrorCode::kBudgetExhausted;
      break;
    case JitExit::kCallDepth:
      fault.code = ErrorCode::kCallDepth;
      break;
    case JitExit::kBadCall:
      fault.code = ErrorCode::kBadCall;
      fault.callx_target = static_cast<int64_t>(state.addr);
      break;
    case JitExit::kHelperStopped:
      fault.code = ErrorCode::kHelperFailed;
      fault.helper_failure = rc != nullptr ? rc->failure : "stopped";
      break;
    case JitExit::kReturn:
      break;
  }
  return fault_error(program_, state.insn, fault, options_.instruction_budget);
}

const void* JitEngine::callback_code(uint64_t fn) const {
  auto it = std::lower_bound(callbacks_.begin(), callbacks_.end(), fn,
                             [](const std::pair<uint32_t, const void*>& e, uint64_t slot) { return e.first < slot; });
  return it != callbacks_.end() && it->first == fn ? it->second : nullptr;
}

// The callback runs one frame below the frame whose helper calls back (rc.stack_lo is that frame's
// bottom), within the kMaxCallFrames limit, sharing the budget; how it ends is reported as the
// interpreter does: a fault or failure inside it fails the whole run with its own error.
Result<uint64_t> JitEngine::call_function(RunContext& rc, uint64_t fn, const uint64_t args[5]) {
  auto* state = static_cast<JitState*>(rc.engine_state);
  JitArgs& run = *state->args;
  const auto& self = *static_cast<const JitEngine*>(run.engine);
  auto& callback_error = *static_cast<std::optional<Error>*>(run.callback_error);
  const size_t caller = state->call_insn;
  auto fail = [&](Error error) -> Result<uint64_t> {
    callback_error = error;
    rc.fail(kCallbackFailed);
    return error;
  };
  const void* target = self.callback_code(fn);
  if (target == nullptr) {
    Fault f;
    f.code = ErrorCode::kBadCall;
    f.callback = true;
    f.callx_target = static_cast<int64_t>(fn);
    return fail(fault_error(self.program_, caller, f, 0));
  }
  const uint64_t frame = self.options_.stack_size;
  const uint64_t caller_depth = (state->stack_hi - (rc.stack_lo + frame)) / frame;  // 0: the main frame
  if (caller_depth + 1 >= kMaxCallFrames) {
    Fault f;
    f.code = ErrorCode::kCallDepth;
    return fail(fault_error(self.program_, caller, f, 0));
  }
  const uint64_t saved_lo = rc.stack_lo;
  const JitReturn r = self.callback_entry_(args, state, target, rc.stack_lo);
  rc.stack_lo = saved_lo;
  rc.engine_state = state;
  if (r.status == 0) {
    return r.r0;
  }
  if (run.exit == JitExit::kHelperStopped) {
    if (rc.failure == nullptr) {
      return rc.stop_value;  // stop_requested stays set: the helper returns and the run stops
    }
    if (rc.failure == kCallbackFailed && callback_error) {
      return fail(*callback_error);  // a nested callback failed
    }
  }
  return fail(self.exit_error(run, &rc));
}

void JitEngine::direct_fault(const JitState* state, const void* engine) {
  JitArgs fault;
  fault.exit = state->exit;
  fault.insn = state->fault_insn;
  fault.access = state->fault_access;
  fault.addr = state->fault_addr;
  store_event_error(static_cast<const JitEngine*>(engine)->exit_error(fault, nullptr));
}

Result<std::unique_ptr<Engine>> create_jit_engine(Program program, EngineOptions options,
                                                  const JitCompileOptions& compile_options) {
  auto engine = JitEngine::create(std::move(program), std::move(options), compile_options);
  if (!engine) {
    return engine.take_error();
  }
  return std::unique_ptr<Engine>(std::move(*engine));
}

Result<std::unique_ptr<Engine>> create_jit_engine(Program program, EngineOptions options) {
  JitCompileOptions compile_options;
  compile_options.use_bmi2 = cpu_has_bmi2();
  return create_jit_engine(std::move(program), std::move(options), compile_options);
}

}  // namespace bpfrt
