#include "vm/jit/jit_arena.hpp"

#include <cstdlib>
#include <new>

namespace bpfrt {
namespace {

struct Block {
  void* data = nullptr;
  size_t size = 0;
  bool in_use = false;
  Block() = default;
  Block(const Block&) = delete;
  Block& operator=(const Block&) = delete;
  ~Block() { std::free(data); }
};

Block& thread_block() {
  thread_local Block block;
  return block;
}

// The block an arena starts from: this thread's, unless another arena holds it.
std::pmr::monotonic_buffer_resource make_pool(bool owns, std::pmr::memory_resource* upstream) {
  Block& b = thread_block();
  if (owns && b.data != nullptr) {
    return std::pmr::monotonic_buffer_resource(b.data, b.size, upstream);
  }
  return std::pmr::monotonic_buffer_resource(upstream);
}

}  // namespace

void* CompileArena::Overflow::do_allocate(size_t size, size_t align) {
  bytes += size;
  return ::operator new(size, std::align_val_t{align});
}

void CompileArena::Overflow::do_deallocate(void* p, size_t /*size*/, size_t align) {
  ::operator delete(p, std::align_val_t{align});
}

CompileArena::CompileArena()
    : owns_block_(!thread_block().in_use), pool_(make_pool(owns_block_, &overflow_)) {
  if (owns_block_) {
    thread_block().in_use = true;
  }
}

CompileArena::~CompileArena() {
  pool_.release();
  if (!owns_block_) {
    return;
  }
  Block& b = thread_block();
  b.in_use = false;
  if (overflow_.bytes == 0) {
    return;
  }
  // The next compilation of this size fits the block.
  const size_t wanted = b.size + overflow_.bytes;
  std::free(b.data);
  b.data = nullptr;
  b.size = 0;
  if (wanted <= kMaxKeptBytes) {
    b.data = std::malloc(wanted);
    b.size = b.data != nullptr ? wanted : 0;
  }
}

}  // namespace bpfrt
