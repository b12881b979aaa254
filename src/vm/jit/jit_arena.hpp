// Memory for one JIT compilation. The per-instruction tables the engine, the analysis and the emitter
// build live in a block this thread keeps from one compilation to the next, so compiling again
// touches no fresh pages: on these VMs a page fault costs about as much as compiling twenty
// instructions, and a compilation of 10,000 instructions needs about a megabyte of tables.
// Thread-safety: one CompileArena per thread at a time (a nested one falls back to the heap).
#pragma once

#include <cstddef>
#include <memory_resource>

namespace bpfrt {

class CompileArena {
 public:
  CompileArena();
  ~CompileArena();
  CompileArena(const CompileArena&) = delete;
  CompileArena& operator=(const CompileArena&) = delete;

  std::pmr::memory_resource* resource() { return &pool_; }

  // Blocks larger than this are not kept after the compilation that needed them.
  static constexpr size_t kMaxKeptBytes = size_t{64} << 20;

 private:
  // The heap behind the block, counting what the compilation needed beyond it.
  class Overflow final : public std::pmr::memory_resource {
   public:
    size_t bytes = 0;

   private:
    void* do_allocate(size_t size, size_t align) override;
    void do_deallocate(void* p, size_t size, size_t align) override;
    bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override { return this == &other; }
  };

  bool owns_block_ = false;
  Overflow overflow_;
  std::pmr::monotonic_buffer_resource pool_;
};

}  // namespace bpfrt
