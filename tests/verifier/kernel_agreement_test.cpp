// Kernel agreement (label "kernel", needs root): every corpus program of a kernel program type is loaded
// with BPF_PROG_LOAD, with real kernel maps for its "# map:" declarations, and the kernel's verdict is
// compared with bpfrt's. A program bpfrt accepts and the kernel refuses fails the test unless its file
// says "# kernel: differs <why>" (a deliberate difference, listed in docs/verifier.md). The summary test
// prints the agreement table recorded in docs/verifier.md.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <map>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <linux/btf.h>
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

// BTF describing a value with a struct bpf_spin_lock at `lock_offset` and opaque bytes around it, as
// the kernel needs to find the lock. Returns the BTF (owned by the caller) or nullptr.
struct btf* spin_lock_value_btf(const MapInfo& info, int* key_type, int* value_type) {
  struct btf* btf = btf__new_empty();
  const int u32 = btf__add_int(btf, "unsigned int", 4, 0);
  const int u8 = btf__add_int(btf, "unsigned char", 1, 0);
  const int lock = btf__add_struct(btf, "bpf_spin_lock", 4);
  btf__add_field(btf, "val", u32, 0, 0);
  *key_type = u32;
  const int bytes = btf__add_array(btf, u32, u8, info.value_size);
  *value_type = btf__add_struct(btf, "value", info.value_size);
  btf__add_field(btf, "lock", lock, static_cast<uint32_t>(info.spin_lock_offset) * 8, 0);
  (void)bytes;
  if (btf__load_into_kernel(btf) != 0) {
    btf__free(btf);
    return nullptr;
  }
  return btf;
}

Result<Fd> create_kernel_map(const MapInfo& info) {
  LIBBPF_OPTS(bpf_map_create_opts, opts);
  opts.map_flags = info.flags;
  struct btf* lock_btf = nullptr;
  if (info.spin_lock_offset >= 0) {
    int key_type = 0;
    int value_type = 0;
    lock_btf = spin_lock_value_btf(info, &key_type, &value_type);
    if (lock_btf == nullptr) {
      return make_error(ErrorCode::kIo, fmt::format("loading spin-lock BTF: {}", std::strerror(errno)));
    }
    opts.btf_fd = static_cast<__u32>(btf__fd(lock_btf));
    opts.btf_key_type_id = static_cast<__u32>(key_type);
    opts.btf_value_type_id = static_cast<__u32>(value_type);
  }
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
  btf__free(lock_btf);  // the map keeps its own reference
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

// The kernel verifies callbacks (bpf_loop, for_each_map_elem) only with BTF describing each function.
// For programs that take a subprogram's address, describe every function as `static long f(long, ...)`.
struct FuncInfo {
  struct btf* btf = nullptr;
  std::vector<bpf_func_info> records;
  ~FuncInfo() { btf__free(btf); }
};

Result<bool> add_func_info(const AnnotatedProgram& p, FuncInfo& out) {
  std::vector<uint32_t> starts = {0};
  bool takes_address = false;
  for (size_t i = 0; i < p.insns.size(); ++i) {
    const Instruction& insn = p.insns[i];
    const bool local_call = insn.opcode == 0x85 && insn.src == 1;
    const bool func_addr = insn.opcode == 0x18 && insn.src == 4;
    takes_address = takes_address || func_addr;
    if (local_call || func_addr) {
      starts.push_back(static_cast<uint32_t>(static_cast<int64_t>(i) + 1 + insn.imm));
    }
  }
  if (!takes_address) {
    return false;
  }
  std::sort(starts.begin(), starts.end());
  starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
  out.btf = btf__new_empty();
  const int long_type = btf__add_int(out.btf, "long", 8, BTF_INT_SIGNED);
  const int proto = btf__add_func_proto(out.btf, long_type);
  for (const char* arg : {"a", "b", "c", "d", "e"}) {
    btf__add_func_param(out.btf, arg, long_type);
  }
  for (size_t f = 0; f < starts.size(); ++f) {
    const std::string name = "f" + std::to_string(f);
    const int func = btf__add_func(out.btf, name.c_str(), f == 0 ? BTF_FUNC_GLOBAL : BTF_FUNC_STATIC, proto);
    out.records.push_back(bpf_func_info{starts[f], static_cast<uint32_t>(func)});
  }
  if (btf__load_into_kernel(out.btf) != 0) {
    return make_error(ErrorCode::kIo, fmt::format("loading BTF: {}", std::strerror(errno)));
  }
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
  FuncInfo func_info;
  auto has_func_info = add_func_info(p, func_info);
  if (!has_func_info) {
    return has_func_info.take_error();
  }
  auto load = [&](char* log, size_t log_size) {
    LIBBPF_OPTS(bpf_prog_load_opts, opts);
    if (*has_func_info) {
      opts.prog_btf_fd = static_cast<__u32>(btf__fd(func_info.btf));
      opts.func_info = func_info.records.data();
      opts.func_info_cnt = static_cast<__u32>(func_info.records.size());
      opts.func_info_rec_size = sizeof(bpf_func_info);
    }
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
  int same_reason = 0;
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
      const std::string first = ours->reason.substr(0, ours->reason.find('\n'));
      same_reason += last_line(kernel->log) == first ? 1 : 0;
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
                   "refuse, {} of them with the kernel's exact reason), {} bpfrt stricter, {} deliberate "
                   "differences, {} undocumented (bugs)\n",
                   files.size(), both_accept + both_refuse, both_accept, both_refuse, same_reason, stricter,
                   looser_documented, looser_bug)
            << details;
  EXPECT_EQ(looser_bug, 0);
}

}  // namespace
}  // namespace bpfrt
