#include "maps/arena.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace bpfrt {
namespace {

Error os_error(const std::string& what, int err) {
  const ErrorCode code =
      (err == ENOSPC || err == ENOMEM || err == EFBIG) ? ErrorCode::kResourceExhausted : ErrorCode::kIo;
  return make_error(code, fmt::format("{}: {}", what, std::strerror(err)));
}

// Reserves the pages so that running out of memory shows here and not as SIGBUS later.
Status reserve(int fd, size_t size, const std::string& what) {
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
    return os_error(what + ": cannot size to " + std::to_string(size) + " bytes", errno);
  }
  const int err = ::posix_fallocate(fd, 0, static_cast<off_t>(size));
  if (err != 0) {
    return os_error(what + ": cannot reserve " + std::to_string(size) + " bytes", err);
  }
  return {};
}

Result<uint8_t*> map_fd(int fd, size_t size, const std::string& what) {
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    return os_error(what + ": cannot map", errno);
  }
  return static_cast<uint8_t*>(p);
}

}  // namespace

Status check_shm_name(const std::string& name) {
  const bool ok_chars = std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  });
  if (name.empty() || name.size() > 200 || !ok_chars || name == "." || name == "..") {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("invalid shared-memory name '{}' (1-200 characters of A-Z a-z 0-9 . _ -)", name));
  }
  return {};
}

Result<std::unique_ptr<Arena>> Arena::create_private(size_t size) {
  if (size == 0) {
    return make_error(ErrorCode::kInvalidArgument, "cannot create an empty map memory block");
  }
  const int fd = ::memfd_create("bpfrt-map", MFD_CLOEXEC);
  if (fd < 0) {
    return os_error("memfd_create", errno);
  }
  if (auto st = reserve(fd, size, "private map memory"); !st) {
    ::close(fd);
    return st.take_error();
  }
  auto base = map_fd(fd, size, "private map memory");
  if (!base) {
    ::close(fd);
    return base.take_error();
  }
  std::unique_ptr<Arena> arena(new Arena(fd, *base, size, ""));
  arena->mapped_ = size;
  return arena;
}

Result<std::unique_ptr<Arena>> Arena::create_shared(const std::string& name, size_t size) {
  BPFRT_TRY(check_shm_name(name));
  if (size == 0) {
    return make_error(ErrorCode::kInvalidArgument, "cannot create an empty shared-memory object");
  }
  const std::string path = "/" + name;
  const int fd = ::shm_open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return os_error(fmt::format("shared-memory object '{}'", name), errno);
  }
  ::fchmod(fd, 0600);  // whatever the umask did
  if (auto st = reserve(fd, size, fmt::format("shared-memory object '{}'", name)); !st) {
    ::close(fd);
    ::shm_unlink(path.c_str());
    return st.take_error();
  }
  auto base = map_fd(fd, size, fmt::format("shared-memory object '{}'", name));
  if (!base) {
    ::close(fd);
    ::shm_unlink(path.c_str());
    return base.take_error();
  }
  std::unique_ptr<Arena> arena(new Arena(fd, *base, size, name));
  arena->mapped_ = size;
  return arena;
}

Result<std::unique_ptr<Arena>> Arena::open_shared(const std::string& name) {
  BPFRT_TRY(check_shm_name(name));
  const std::string path = "/" + name;
  const int fd = ::shm_open(path.c_str(), O_RDWR | O_CLOEXEC, 0);
  if (fd < 0) {
    const int err = errno;
    Error e = os_error(fmt::format("shared-memory object '{}'", name), err);
    if (err == ENOENT) {
      e.code = ErrorCode::kNotFound;
    }
    return e;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size <= 0) {
    ::close(fd);
    return make_error(ErrorCode::kIo, fmt::format("shared-memory object '{}' is empty or unreadable", name));
  }
  const auto size = static_cast<size_t>(st.st_size);
  auto base = map_fd(fd, size, fmt::format("shared-memory object '{}'", name));
  if (!base) {
    ::close(fd);
    return base.take_error();
  }
  std::unique_ptr<Arena> arena(new Arena(fd, *base, size, name));
  arena->mapped_ = size;
  return arena;
}

Status Arena::unlink_shared(const std::string& name) {
  BPFRT_TRY(check_shm_name(name));
  if (::shm_unlink(("/" + name).c_str()) != 0 && errno != ENOENT) {
    return os_error(fmt::format("cannot remove shared-memory object '{}'", name), errno);
  }
  return {};
}

Status Arena::mirror_tail(size_t offset) {
  if (offset % kPageSize != 0 || offset >= size_ || size_ % kPageSize != 0 || mapped_ != size_) {
    return make_error(ErrorCode::kInvalidArgument, "ring memory must be page-aligned to be mirrored");
  }
  const size_t tail = size_ - offset;
  // Reserve room for both views, then place the file twice with MAP_FIXED inside the reservation.
  void* area = ::mmap(nullptr, size_ + tail, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (area == MAP_FAILED) {
    return os_error("cannot reserve address space for the ring mirror", errno);
  }
  auto* base = static_cast<uint8_t*>(area);
  if (::mmap(base, size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd_, 0) == MAP_FAILED ||
      ::mmap(base + size_, tail, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd_, static_cast<off_t>(offset)) ==
          MAP_FAILED) {
    const int err = errno;
    ::munmap(area, size_ + tail);
    return os_error("cannot map the ring mirror", err);
  }
  ::munmap(base_, mapped_);
  base_ = base;
  mapped_ = size_ + tail;
  return {};
}

bool Arena::is_shared_object(const std::string& name) const {
  if (!check_shm_name(name)) {
    return false;
  }
  struct stat mine {};
  struct stat named {};
  return fd_ >= 0 && ::fstat(fd_, &mine) == 0 && ::stat(("/dev/shm/" + name).c_str(), &named) == 0 &&
         mine.st_dev == named.st_dev && mine.st_ino == named.st_ino;
}

Arena::~Arena() {
  if (base_ != nullptr) {
    ::munmap(base_, mapped_);
  }
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

}  // namespace bpfrt
