// Kernel agreement (label "kernel", needs root): every corpus program of a kernel program type is loaded
// with BPF_PROG_LOAD, with real kernel maps for its "# map:" declarations, and the kernel's verdict is
// compared with bpfrt's. A program bpfrt accepts and the kernel refuses fails the test unless its file
// says "# kernel: differs <why>" (a deliberate difference, listed in docs/verifier.md). The summary test
// prints the agreement table recorded in docs/verifier.md.
#include <cerrno>
#include <cstring>
#include <iostream>
#include <map>

#include <bpf/bpf.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <unistd.h>

#include "corpus_util.hpp"

namespace bpfrt {
namespace {

struct KernelVerdict {
  bool accepted = false;
  int error = 0;
  std::string log;  // the kernel's verifier log when it refused
};

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd& operator=(Fd&&) = delete;
  ~Fd() {
    if (fd_ >= 0) {
      close(fd_);
    }
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

Result<Fd> create_kernel_map(const MapInfo& info) {
  LIBBPF_OPTS(bpf_map_create_opts, opts);
  opts.map_flags = info.flags;
  std::optional<Fd> inner;
  if (info.inner) {
    auto created = create_kernel_map(*info.inner);
    if (!created) {
      return created.take_error();
    }
    inner.emplace(std::move(*created));
    opts.inner_map_fd = static_cast<__u32>(inner->get());
  }
  const int fd = bpf_map_create(static_cast<bpf_map_type>(info.type), nullptr, info.key_size, info.value_size,
                                info.max_entries, &opts);
  if (fd < 0) {
    return make_error(ErrorCode::kIo,
                      fmt::format("bpf_map_create(type {}, key {}, value {}, max {}): {}", info.type, info.key_size,
                                  info.value_size, info.max_entries, std::strerror(errno)));
  }
  return Fd(fd);
}

bool can_load_programs() {
  const bpf_insn insns[] = {{0xb7, 0, 0, 0, 0}, {0x95, 0, 0, 0, 0}};  // r0 = 0; exit
  const int fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, nullptr, "GPL", insns, 2, nullptr);
  if (fd < 0) {
    return false;
  }
  close(fd);
  return true;
}

Result<KernelVerdict> kernel_verify(const AnnotatedProgram& p) {
  std::vector<Fd> maps;
  std::map<int32_t, int> kernel_fd;
  std::vector<int> fd_array;
  for (const AnnotatedMap& m : p.maps) {
    auto fd = create_kernel_map(m.info);
    if (!fd) {
      return fd.take_error();
    }
    kernel_fd[m.fd] = fd->get();
    fd_array.push_back(fd->get());
    maps.push_back(std::move(*fd));
  }
  std::vector<bpf_insn> insns(p.insns.size());
  static_assert(sizeof(bpf_insn) == sizeof(Instruction));
  std::memcpy(insns.data(), p.insns.data(), insns.size() * sizeof(bpf_insn));
  for (size_t i = 0; i + 1 < insns.size(); ++i) {
    if (insns[i].code == (BPF_LD | BPF_IMM | BPF_DW) &&
        (insns[i].src_reg == BPF_PSEUDO_MAP_FD || insns[i].src_reg == BPF_PSEUDO_MAP_VALUE)) {
      auto it = kernel_fd.find(insns[i].imm);
      if (it != kernel_fd.end()) {
        insns[i].imm = it->second;
      }
      // An undeclared fd stays as written: the kernel refuses it as bpfrt does.
    }
  }
  auto load = [&](char* log, size_t log_size) {
    LIBBPF_OPTS(bpf_prog_load_opts, opts);
    if (p.type == ProgramType::kSyscall) {
      opts.prog_flags = BPF_F_SLEEPABLE;
    }
    if (!fd_array.empty()) {
      opts.fd_array = fd_array.data();
    }
    if (log != nullptr) {
      opts.log_buf = log;
      opts.log_size = static_cast<__u32>(log_size);
      opts.log_level = 1;
    }
    return bpf_prog_load(static_cast<bpf_prog_type>(p.type), "corpus", "GPL", insns.data(), insns.size(), &opts);
  };
  KernelVerdict verdict;
  const int fd = load(nullptr, 0);
  if (fd >= 0) {
    close(fd);
    verdict.accepted = true;
    return verdict;
  }
  verdict.error = errno;
  std::string log(1 << 22, '\0');
  const int again = load(log.data(), log.size());
  if (again >= 0) {
    close(again);  // accepted with a log buffer: count it as accepted
    verdict.accepted = true;
    return verdict;
  }
  log.resize(std::strlen(log.c_str()));
  verdict.log = log.empty() ? std::strerror(verdict.error) : log;
  return verdict;
}

std::string last_line(const std::string& log) {
  std::string s = log;
  while (!s.empty() && s.back() == '\n') {
    s.pop_back();
  }
  // The kernel ends with "processed N insns ..." after the reason; take the line before that.
  auto cut = s.rfind("\nprocessed ");
  if (cut != std::string::npos) {
    s.erase(cut);
  }
  const auto nl = s.rfind('\n');
  return nl == std::string::npos ? s : s.substr(nl + 1);
}

std::vector<std::string> kernel_corpus() {
  std::vector<std::string> out;
  for (const std::string& file : test::corpus_files()) {
    auto p = load_annotated_program(file);
    if (p && p->type != ProgramType::kRaw && !p->kernel_skip) {
      out.push_back(file);
    }
  }
  return out;
}

void skip_unless_root() {
  if (geteuid() != 0) {
    GTEST_SKIP() << "needs root (CAP_BPF) to load programs into the kernel";
  }
  if (!can_load_programs()) {
    GTEST_SKIP() << "the kernel refuses BPF_PROG_LOAD here: " << std::strerror(errno);
  }
}

class KernelAgreement : public ::testing::TestWithParam<std::string> {};

TEST_P(KernelAgreement, BpfrtAcceptsOnlyWhatTheKernelAccepts) {
  skip_unless_root();
  if (IsSkipped()) {
    return;
  }
  auto p = load_annotated_program(GetParam());
  ASSERT_TRUE(p.ok()) << p.error().message;
  auto ours = test::verify_annotated(*p);
  ASSERT_TRUE(ours.ok()) << ours.error().message;
  auto kernel = kernel_verify(*p);
  ASSERT_TRUE(kernel.ok()) << kernel.error().message;
  const bool differs_on_purpose = p->kernel_differs.has_value();
  if (ours->accepted && !kernel->accepted) {
    if (differs_on_purpose) {
      std::cout << "deliberate difference (" << *p->kernel_differs
                << "): the kernel refuses: " << last_line(kernel->log) << '\n';
    } else {
      ADD_FAILURE() << "bpfrt accepts a program the kernel refuses: " << last_line(kernel->log) << "\n" << kernel->log;
    }
  } else if (!ours->accepted && kernel->accepted) {
    std::cout << "bpfrt is stricter: it refuses (" << ours->reason << "), the kernel accepts\n";
  } else if (!ours->accepted) {
    std::cout << "both refuse. bpfrt: " << ours->reason << " | kernel: " << last_line(kernel->log) << '\n';
  }
  if (std::getenv("BPFRT_KERNEL_LOG") != nullptr) {
    std::cout << "kernel log:\n" << kernel->log << '\n';
  }
}

INSTANTIATE_TEST_SUITE_P(Programs, KernelAgreement, ::testing::ValuesIn(kernel_corpus()),
                         [](const auto& param_info) { return test::test_name(param_info.param); });

// The numbers docs/verifier.md records.
TEST(KernelAgreementSummary, Table) {
  skip_unless_root();
  if (IsSkipped()) {
    return;
  }
  int both_accept = 0;
  int both_refuse = 0;
  int stricter = 0;
  int looser_documented = 0;
  int looser_bug = 0;
  std::string details;
  const auto files = kernel_corpus();
  for (const std::string& file : files) {
    auto p = load_annotated_program(file);
    ASSERT_TRUE(p.ok());
    auto ours = test::verify_annotated(*p);
    auto kernel = kernel_verify(*p);
    ASSERT_TRUE(ours.ok() && kernel.ok()) << file;
    const std::string name = std::filesystem::path(file).filename().string();
    if (ours->accepted && kernel->accepted) {
      ++both_accept;
    } else if (!ours->accepted && !kernel->accepted) {
      ++both_refuse;
    } else if (!ours->accepted) {
      ++stricter;
      details += fmt::format("  bpfrt stricter: {} (bpfrt: {})\n", name, ours->reason);
    } else if (p->kernel_differs) {
      ++looser_documented;
      details += fmt::format("  deliberate: {} (kernel: {})\n", name, last_line(kernel->log));
    } else {
      ++looser_bug;
      details += fmt::format("  BUG: {} (kernel: {})\n", name, last_line(kernel->log));
    }
  }
  std::cout << fmt::format(
                   "kernel agreement over {} corpus programs of kernel types: {} agree ({} both accept, {} both "
                   "refuse), {} bpfrt stricter, {} deliberate differences, {} undocumented (bugs)\n",
                   files.size(), both_accept + both_refuse, both_accept, both_refuse, stricter, looser_documented,
                   looser_bug)
            << details;
  EXPECT_EQ(looser_bug, 0);
}

}  // namespace
}  // namespace bpfrt
