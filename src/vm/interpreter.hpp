// The interpreter: programs are pre-decoded once into 16-byte slots (operation index, registers,
// offset, and the immediate already widened, resolved or turned into a helper pointer), then run by a
// direct-threaded loop (computed goto) with every memory access checked.
// Thread-safety: run() is const; concurrent runs share only the immutable decoded code.
#pragma once

#include <memory>
#include <vector>

#include "bpfrt/engine.hpp"

namespace bpfrt {

class Interpreter final : public Engine {
 public:
  // Decoded instruction. For jumps and local calls `off` is the distance from this slot to the
  // target; for helper calls `imm` holds the HelperFn; for lddw the resolved 64-bit constant.
  struct Slot {
    uint8_t op;
    uint8_t dst;
    uint8_t src;
    uint8_t aux;  // a fused pair's register operand (see Interpreter::fuse_pairs)
    int32_t off;
    int64_t imm;
  };
  static_assert(sizeof(Slot) == 16);

  [[nodiscard]] static Result<std::unique_ptr<Interpreter>> create(Program program, EngineOptions options);

  EngineKind kind() const override { return EngineKind::kInterpreter; }

 protected:
  [[nodiscard]] Result<uint64_t> execute(const RunArgs& args, RunContext& rc) const override;

 private:
  Interpreter(Program program, EngineOptions options) : Engine(std::move(program), std::move(options)) {}

  Status predecode();
  void fuse_pairs();

  std::vector<Slot> code_;
};

}  // namespace bpfrt
