// Wake-ups for ring-buffer and perf-buffer consumers, in this process or another.
//
// A shared map gets a FIFO beside its shared-memory object (/dev/shm/<name>.notify); a private map an
// eventfd. Producers write a byte when a consumer may be waiting; consumers poll or epoll the read end
// and drain it. Signalling never blocks and never raises SIGPIPE.
// Thread-safety: signal() may be called from any thread; the consumer side belongs to one consumer.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "bpfrt/result.hpp"

namespace bpfrt {

class Notifier {
 public:
  // For a shared map `shm_name` (creating its FIFO if `create`), or an eventfd when the name is empty.
  [[nodiscard]] static Result<std::unique_ptr<Notifier>> open(const std::string& shm_name, bool create);
  ~Notifier();

  void signal();
  // The consumer end (opened on first use): readable after a signal.
  Result<int> consumer_fd();
  // Empties the consumer end after a wake-up.
  void drain();
  // Waits until signalled or timeout_ms passes (-1: forever). True if signalled.
  Result<bool> wait(int timeout_ms);

 private:
  Notifier(std::string path, int event_fd) : path_(std::move(path)), event_fd_(event_fd) {}

  std::string path_;  // FIFO path, "" for eventfd
  int event_fd_ = -1;
  std::atomic<int> write_fd_{-1};
  int read_fd_ = -1;
};

void remove_notifier_fifo(const std::string& shm_name);

}  // namespace bpfrt
