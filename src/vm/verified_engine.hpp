// The one path from a program to an engine that every front end uses: verify (unless the caller
// explicitly opts out), then create the engine with the facts the verifier proved.
// Thread-safety: reentrant.
#pragma once

#include <memory>

#include "bpfrt/engine.hpp"
#include "bpfrt/verifier.hpp"

namespace bpfrt {

struct LoadOptions {
  // Off only for trusted experiments (`--no-verify`): the engine's run-time checks remain the only
  // protection.
  bool verify = true;
  VerifyOptions verifier;
  EngineOptions engine;
};

// Verifies `program` and creates the engine. A refused program is an Error with code kRefused whose
// message carries the verifier log. If `report` is given it receives the verifier's report (also on
// refusal).
[[nodiscard]] Result<std::unique_ptr<Engine>> load_engine(EngineKind kind, Program program, LoadOptions options,
                                                          VerifierReport* report = nullptr);

}  // namespace bpfrt
