// DPDK's librte_bpf as a benchmark peer: loads BPF bytecode with rte_bpf_load (no EAL needed) and
// runs it through DPDK's JIT or its interpreter. Kept in its own unit so DPDK headers stay here.
// Thread-safety: a loaded program may run on many threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "bpfrt/result.hpp"

struct rte_bpf;

namespace bpfrt::bench {

class DpdkProgram {
 public:
  // The program gets one pointer argument to ctx_size bytes. Fails with DPDK's reason (its
  // validator refuses, among other things, every backward jump).
  [[nodiscard]] static Result<std::unique_ptr<DpdkProgram>> load(std::span<const uint8_t> bytecode, size_t ctx_size);
  ~DpdkProgram();
  DpdkProgram(const DpdkProgram&) = delete;
  DpdkProgram& operator=(const DpdkProgram&) = delete;

  using JitFn = uint64_t (*)(void*);
  JitFn jit() const { return jit_; }  // null if DPDK could not JIT it
  uint64_t interpret(void* ctx) const;

 private:
  explicit DpdkProgram(rte_bpf* bpf);
  rte_bpf* bpf_;
  JitFn jit_ = nullptr;
};

}  // namespace bpfrt::bench
