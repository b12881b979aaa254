#include "vm/verified_engine.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace bpfrt {
Result<std::unique_ptr<Engine>> load_engine(EngineKind kind, Program program, LoadOptions options,
                                            VerifierReport* report) {
  if (options.verify) {
    if (options.verifier.helpers == nullptr) {
      options.verifier.helpers = options.engine.helpers;
    }
    auto verdict = verify_program(program, options.verifier);
    if (!verdict) {
      return verdict.take_error();
    }
    if (report != nullptr) {
      *report = *verdict;
    }
    if (!verdict->accepted) {
      return verdict->error();
    }
    // The proof assumed frames of at least this many bytes.
    if (verdict->stack_depth > options.engine.stack_size) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("the program uses {} bytes of stack per frame but the engine gives {}",
                                    verdict->stack_depth, options.engine.stack_size));
    }
    // The JIT drops the runtime check on every access the verifier proved in bounds; context accesses
    // are proven for contexts at least as long as the verified size, which the engine then enforces.
    options.engine.proven_safe = verdict->access_proven_safe;
    options.engine.min_ctx_size = std::max<size_t>(options.engine.min_ctx_size, verdict->ctx_size_required);
    if (!options.engine.ctx_writable) {
      // The verifier judged writes by the program type; a read-only context keeps its stores checked.
      for (size_t i = 0; i < program.size(); ++i) {
        const OpInfo* info = program.op_at(i);
        const bool store = info != nullptr && (info->form == Form::kStoreImm || info->form == Form::kStoreReg ||
                                               info->form == Form::kAtomic);
        if (store && verdict->access_region[i] != AccessRegion::kStack) {
          options.engine.proven_safe[i] = false;
        }
      }
    }
  }
  return create_engine(kind, std::move(program), std::move(options.engine));
}

}  // namespace bpfrt
