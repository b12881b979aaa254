// Executable memory for JIT'd code, mapped W^X: the pages are writable while the code is copied in,
// then made read+execute, and are never writable and executable at once.
// Thread-safety: immutable once created; the mapping is released when the buffer is destroyed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "bpfrt/result.hpp"

namespace bpfrt {

class CodeBuffer {
 public:
  // Maps fresh pages, copies `code` in and seals them read+execute.
  [[nodiscard]] static Result<CodeBuffer> create(std::span<const uint8_t> code);

  CodeBuffer() = default;
  CodeBuffer(CodeBuffer&& other) noexcept;
  CodeBuffer& operator=(CodeBuffer&& other) noexcept;
  CodeBuffer(const CodeBuffer&) = delete;
  CodeBuffer& operator=(const CodeBuffer&) = delete;
  ~CodeBuffer();

  const uint8_t* data() const { return base_; }
  size_t size() const { return size_; }  // bytes of code (the mapping is rounded up to pages)

 private:
  CodeBuffer(uint8_t* base, size_t size, size_t mapped) : base_(base), size_(size), mapped_(mapped) {}
  void release();

  uint8_t* base_ = nullptr;
  size_t size_ = 0;
  size_t mapped_ = 0;
};

}  // namespace bpfrt
