// Arena: one contiguous block of map memory, either private (a memfd, so forked children share it as
// they share kernel maps) or a named POSIX shared-memory object other processes open by name.
//
// Shared objects are created with O_EXCL and mode 0600, and their pages are reserved with fallocate so
// that a full /dev/shm is a clean error at creation, never a SIGBUS on first touch. An arena may map
// its tail twice in a row (the ring buffer's trick, so records that wrap stay contiguous).
// Thread-safety: immutable after creation; the memory itself is shared and synchronised by its users.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "bpfrt/result.hpp"

namespace bpfrt {

class Arena {
 public:
  // Zeroed private memory of `size` bytes.
  [[nodiscard]] static Result<std::unique_ptr<Arena>> create_private(size_t size);
  // A new shared-memory object `name` (no slash) of `size` zeroed bytes; fails if it exists.
  [[nodiscard]] static Result<std::unique_ptr<Arena>> create_shared(const std::string& name, size_t size);
  // An existing shared-memory object, mapped whole.
  [[nodiscard]] static Result<std::unique_ptr<Arena>> open_shared(const std::string& name);
  // Removes a shared-memory object name (mappings stay valid); ENOENT is not an error.
  static Status unlink_shared(const std::string& name);
  // Whether the shared-memory object `name` is this arena's memory (it was not removed, or removed
  // and made again, since this arena was created or opened).
  bool is_shared_object(const std::string& name) const;

  ~Arena();
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  uint8_t* base() const { return base_; }
  size_t size() const { return size_; }
  const std::string& name() const { return name_; }  // "" for private memory
  bool shared() const { return !name_.empty(); }

  // Maps [offset, size) a second time right after the end, so base()+size() continues at base()+offset.
  // `offset` must be page-aligned.
  Status mirror_tail(size_t offset);

 private:
  Arena(int fd, uint8_t* base, size_t size, std::string name)
      : fd_(fd), base_(base), size_(size), name_(std::move(name)) {}

  int fd_ = -1;
  uint8_t* base_ = nullptr;
  size_t size_ = 0;
  size_t mapped_ = 0;  // bytes of address space mapped (size_ plus a mirror)
  std::string name_;
};

// Checks a shared-memory object name: 1-200 characters of [A-Za-z0-9._-], not "." or "..".
Status check_shm_name(const std::string& name);

inline constexpr size_t kPageSize = 4096;
inline constexpr uint64_t round_up(uint64_t v, uint64_t a) {
  return (v + a - 1) / a * a;
}

}  // namespace bpfrt
