#include "maps/notifier.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

namespace bpfrt {
namespace {

std::string fifo_path(const std::string& shm_name) {
  return "/dev/shm/" + shm_name + ".notify";
}

// Writes one byte without letting a vanished reader kill the process with SIGPIPE.
void write_quietly(int fd) {
  sigset_t pipe_set;
  sigset_t old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  const char byte = 1;
  const ssize_t n = ::write(fd, &byte, 1);
  if (n < 0 && errno == EPIPE) {
    timespec zero{};
    sigtimedwait(&pipe_set, nullptr, &zero);
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

}  // namespace

Result<std::unique_ptr<Notifier>> Notifier::open(const std::string& shm_name, bool create) {
  if (shm_name.empty()) {
    const int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) {
      return make_error(ErrorCode::kIo, fmt::format("eventfd: {}", std::strerror(errno)));
    }
    return std::unique_ptr<Notifier>(new Notifier("", fd));
  }
  const std::string path = fifo_path(shm_name);
  if (create && ::mkfifo(path.c_str(), 0600) != 0 && errno != EEXIST) {
    return make_error(ErrorCode::kIo,
                      fmt::format("cannot create notification FIFO {}: {}", path, std::strerror(errno)));
  }
  return std::unique_ptr<Notifier>(new Notifier(path, -1));
}

Notifier::~Notifier() {
  for (int fd : {event_fd_, write_fd_.load(), read_fd_}) {
    if (fd >= 0) {
      ::close(fd);
    }
  }
}

void Notifier::signal() {
  if (event_fd_ >= 0) {
    const uint64_t one = 1;
    (void)!::write(event_fd_, &one, sizeof(one));
    return;
  }
  int fd = write_fd_.load(std::memory_order_acquire);
  if (fd < 0) {
    // Fails with ENXIO while nobody reads: then there is nobody to wake.
    fd = ::open(path_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
      return;
    }
    int expected = -1;
    if (!write_fd_.compare_exchange_strong(expected, fd)) {
      ::close(fd);
      fd = expected;
    }
  }
  write_quietly(fd);
}

Result<int> Notifier::consumer_fd() {
  if (event_fd_ >= 0) {
    return event_fd_;
  }
  if (read_fd_ < 0) {
    // Read-write: the FIFO then always has a writer, so poll never reports a hang-up when producers
    // come and go; non-blocking, so draining stops when it is empty.
    read_fd_ = ::open(path_.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (read_fd_ < 0) {
      return make_error(ErrorCode::kIo,
                        fmt::format("cannot open notification FIFO {}: {}", path_, std::strerror(errno)));
    }
  }
  return read_fd_;
}

void Notifier::drain() {
  auto fd = consumer_fd();
  if (!fd) {
    return;
  }
  char buf[256];
  while (::read(*fd, buf, sizeof(buf)) > 0) {
  }
}

Result<bool> Notifier::wait(int timeout_ms) {
  auto fd = consumer_fd();
  if (!fd) {
    return fd.take_error();
  }
  pollfd p{*fd, POLLIN, 0};
  while (true) {
    const int n = ::poll(&p, 1, timeout_ms);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return make_error(ErrorCode::kIo, fmt::format("poll: {}", std::strerror(errno)));
    }
    return n > 0 && (p.revents & POLLIN) != 0;
  }
}

void remove_notifier_fifo(const std::string& shm_name) {
  ::unlink(fifo_path(shm_name).c_str());
}

}  // namespace bpfrt
