#include "vm/jit/code_buffer.hpp"

#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>
#include <sys/mman.h>
#include <unistd.h>

namespace bpfrt {

Result<CodeBuffer> CodeBuffer::create(std::span<const uint8_t> code) {
  if (code.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "no machine code to map");
  }
  const auto page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t mapped = (code.size() + page - 1) / page * page;
  // MAP_POPULATE: the copy below writes every page; one populate is cheaper than a fault per page.
  void* p = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (p == MAP_FAILED) {
    return make_error(ErrorCode::kResourceExhausted,
                      fmt::format("cannot map {} bytes for JIT code: {}", mapped, std::strerror(errno)));
  }
  std::memcpy(p, code.data(), code.size());
  if (mprotect(p, mapped, PROT_READ | PROT_EXEC) != 0) {
    const int err = errno;
    munmap(p, mapped);
    return make_error(ErrorCode::kResourceExhausted,
                      fmt::format("cannot make JIT code executable: {}", std::strerror(err)));
  }
  return CodeBuffer(static_cast<uint8_t*>(p), code.size(), mapped);
}

CodeBuffer::CodeBuffer(CodeBuffer&& other) noexcept
    : base_(std::exchange(other.base_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      mapped_(std::exchange(other.mapped_, 0)) {}

CodeBuffer& CodeBuffer::operator=(CodeBuffer&& other) noexcept {
  if (this != &other) {
    release();
    base_ = std::exchange(other.base_, nullptr);
    size_ = std::exchange(other.size_, 0);
    mapped_ = std::exchange(other.mapped_, 0);
  }
  return *this;
}

CodeBuffer::~CodeBuffer() {
  release();
}

void CodeBuffer::release() {
  if (base_ != nullptr) {
    munmap(base_, mapped_);
    base_ = nullptr;
  }
}

}  // namespace bpfrt
