// Entry point of the x86-64 JIT engine, kept apart so the engine factory does not see JIT internals.
#pragma once

#include <memory>

#include "bpfrt/engine.hpp"

namespace bpfrt {

[[nodiscard]] Result<std::unique_ptr<Engine>> create_jit_engine(Program program, EngineOptions options);

}  // namespace bpfrt
