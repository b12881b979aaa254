#include "vm/verified_engine.hpp"

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
    // The JIT drops the runtime check on every access the verifier proved in bounds.
    options.engine.proven_safe = verdict->access_proven_safe;
  }
  return create_engine(kind, std::move(program), std::move(options.engine));
}

}  // namespace bpfrt
