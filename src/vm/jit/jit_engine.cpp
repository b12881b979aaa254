#include "vm/jit/jit_engine.hpp"

#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "vm/fault.hpp"
#include "vm/jit_factory.hpp"

namespace bpfrt {
namespace {

// Stacks up to this size live on the host thread's stack; larger ones are allocated per run.
constexpr size_t kInlineStackBytes = kDefaultStackSize * kMaxCallFrames;

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
  JitInput input;
  input.program = &prog;
  input.options = &options_;
  input.lddw_values.assign(prog.size(), 0);
  input.helper_fns.assign(prog.size(), nullptr);
  for (size_t i = 0; i < prog.size(); ++i) {
    const OpInfo* info = prog.op_at(i);
    if (info == nullptr) {
      continue;
    }
    const Instruction& insn = prog[i];
    if (info->form == Form::kLddw) {
      if (insn.src == static_cast<uint8_t>(LddwSrc::kImm64)) {
        input.lddw_values[i] = prog.lddw_imm64(i);
      } else if (options_.resolve_lddw) {
        auto value = options_.resolve_lddw(insn, prog[i + 1], i);
        if (!value) {
          return value.take_error();
        }
        input.lddw_values[i] = *value;
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
  needs_ = compiled->needs;
  has_extras_ =
      needs_.depth || needs_.budget || needs_.ctx_bounds || needs_.stack_bounds || needs_.engine || needs_.packet;
  entry_ = reinterpret_cast<JitEntry>(const_cast<uint8_t*>(code_.data()));
  if (compiled->direct_offset != SIZE_MAX) {
    direct_ = reinterpret_cast<DirectEntry>(const_cast<uint8_t*>(code_.data()) + compiled->direct_offset);
  }
  return {};
}

Result<uint64_t> JitEngine::execute(const RunArgs& args, RunContext& rc) const {
  const size_t stack_bytes = options_.stack_size * kMaxCallFrames;
  if (stack_bytes > kInlineStackBytes) [[unlikely]] {
    // Zeroed like the interpreter's heap stack, so the two engines see the same bytes.
    auto heap_stack = std::make_unique<uint8_t[]>(stack_bytes);
    return run_on(heap_stack.get() + stack_bytes, args, rc);
  }
  alignas(16) uint8_t inline_stack[kInlineStackBytes];
  return run_on(inline_stack + stack_bytes, args, rc);
}

// The hot path: fill what the code reads, call it, and turn an abnormal end into an Error.
Result<uint64_t> JitEngine::run_on(uint8_t* stack_top, const RunArgs& args, RunContext& rc) const {
  const auto hi = reinterpret_cast<uint64_t>(stack_top);
  const auto ctx = reinterpret_cast<uint64_t>(args.ctx);
  const uint64_t ctx_len = args.ctx == nullptr ? 0 : args.ctx_len;
  JitState state;  // only the fields this program's code reads
  state.ctx = ctx;
  state.ctx_len = ctx_len;
  state.stack_hi = hi;
  state.rc = &rc;
  state.exit = JitExit::kReturn;
  if (has_extras_) [[unlikely]] {
    fill_extras(state, args);
  }
  if (needs_.helpers) {
    rc.stack_lo = hi - options_.stack_size;
    rc.stack_hi = hi;
  }
  const uint64_t r0 = entry_(&state);
  if (state.exit == JitExit::kReturn) [[likely]] {
    return r0;
  }
  if (state.exit == JitExit::kHelperStopped && rc.failure == nullptr) {
    return rc.stop_value;  // stop() or a tail call, which Engine::run follows
  }
  return exit_error(state, &rc);
}

void JitEngine::direct_fault(const JitState* state, const void* engine) {
  store_direct_error(static_cast<const JitEngine*>(engine)->exit_error(*state, nullptr));
}

void JitEngine::fill_extras(JitState& state, const RunArgs& args) const {
  const uint64_t hi = state.stack_hi;
  const uint64_t ctx = state.ctx;
  const uint64_t ctx_len = state.ctx_len;
  state.engine = this;
  state.packet = args.packet != nullptr ? reinterpret_cast<uint64_t>(args.packet) : ctx;
  state.packet_len = args.packet != nullptr ? args.packet_len : ctx_len;
  if (needs_.depth) {
    state.deepest_r10 = hi - (kMaxCallFrames - 1) * options_.stack_size;
  }
  if (needs_.budget) {
    state.budget = options_.instruction_budget;
  }
  if (needs_.ctx_bounds) {
    const uint64_t end = ctx + ctx_len;  // the caller's context is real memory: no wrap
    state.ctx_lo = ctx == 0 ? std::numeric_limits<uint64_t>::max() : ctx;
    state.ctx_end = ctx == 0 ? 0 : end;
    for (int w = 0; w < 4; ++w) {
      const uint64_t width = uint64_t{1} << w;
      state.ctx_last[w] = ctx_len < width ? 0 : end - width;
    }
  }
  if (needs_.stack_bounds) {
    for (int w = 0; w < 4; ++w) {
      state.stack_last[w] = hi - (uint64_t{1} << w);
    }
  }
}

Error JitEngine::exit_error(const JitState& state, const RunContext* rc) const {
  Fault fault;
  switch (state.exit) {
    case JitExit::kOutOfBounds:
    case JitExit::kMisaligned:
      fault.code = ErrorCode::kOutOfBounds;
      fault.misaligned = state.exit == JitExit::kMisaligned;
      fault.addr = state.fault_addr;
      fault.size = state.fault_access & 0xff;
      fault.write = (state.fault_access & 0x100) != 0;
      break;
    case JitExit::kBudget:
      fault.code = ErrorCode::kBudgetExhausted;
      break;
    case JitExit::kCallDepth:
      fault.code = ErrorCode::kCallDepth;
      break;
    case JitExit::kBadCall:
      fault.code = ErrorCode::kBadCall;
      fault.callx_target = static_cast<int64_t>(state.fault_addr);
      break;
    case JitExit::kHelperStopped:
      fault.code = ErrorCode::kHelperFailed;
      fault.helper_failure = rc != nullptr ? rc->failure : "stopped";
      break;
    case JitExit::kReturn:
      break;
  }
  return fault_error(program_, state.fault_insn, fault, options_.instruction_budget);
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
