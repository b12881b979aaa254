// Placeholder translation unit until the x86-64 JIT lands: the JIT engine kind reports unsupported.
#include "vm/jit_factory.hpp"

namespace bpfrt {

Result<std::unique_ptr<Engine>> create_jit_engine(Program /*program*/, EngineOptions /*options*/) {
  return make_error(ErrorCode::kUnsupported, "the JIT engine is not built yet; use --engine interp");
}

}  // namespace bpfrt
