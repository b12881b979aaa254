// The x86-64 JIT engine: resolves a program's helper calls and lddw constants, compiles it once with
// compile_jit, and runs the machine code with the same semantics, errors and instruction budget as
// the interpreter.
// Thread-safety: run() is const; concurrent runs share only the immutable code.
#pragma once

#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "bpfrt/engine.hpp"

#include "vm/jit/jit_compiler.hpp"
#include "vm/jit/jit_layout.hpp"

namespace bpfrt {

class JitEngine final : public Engine {
 public:
  [[nodiscard]] static Result<std::unique_ptr<JitEngine>> create(Program program, EngineOptions options,
                                                                 const JitCompileOptions& compile_options);

  EngineKind kind() const override { return EngineKind::kJit; }
  const JitStats& stats() const { return stats_; }
  std::span<const uint8_t> machine_code() const { return {code_.data(), code_.size()}; }

 protected:
  [[nodiscard]] Result<uint64_t> execute(const RunArgs& args, RunContext& rc) const override;

 private:
  JitEngine(Program program, EngineOptions options) : Engine(std::move(program), std::move(options)) {}

  Status compile(const JitCompileOptions& compile_options);
  Error exit_error(const JitArgs& fault, const RunContext* rc) const;
  static void direct_fault(const JitState* state, const void* engine);
  // RunContext::call_function: runs a callback through the callback entry.
  static Result<uint64_t> call_function(RunContext& rc, uint64_t fn, const uint64_t args[5]);
  // The code of the callback an `lddw func` value names, or null.
  const void* callback_code(uint64_t fn) const;

  CodeBuffer code_;
  JitUnwindInfo unwind_;  // after code_: deregistered before the code is unmapped
  JitEntry entry_ = nullptr;
  std::vector<HelperFn> callx_table_;
  JitCallbackEntry callback_entry_ = nullptr;
  std::vector<std::pair<uint32_t, const void*>> callbacks_;  // by slot
  JitStats stats_;
};

// create_jit_engine with explicit code-generation options (tests force the non-BMI2 paths).
[[nodiscard]] Result<std::unique_ptr<Engine>> create_jit_engine(Program program, EngineOptions options,
                                                                const JitCompileOptions& compile_options);

}  // namespace bpfrt
