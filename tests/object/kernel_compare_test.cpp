// Every map-free, helper-free program of the corpus through bpfrt's engines and through the kernel's
// BPF_PROG_TEST_RUN, twice: the object loaded by libbpf (its own relocation and CO-RE), and the
// instructions bpfrt produced loaded as they are. Return value, data_out and ctx_out must agree.
// Label `kernel`: needs root (CAP_BPF) and skips with a reason without it.
#include <cstring>
#include <random>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <unistd.h>

#include "bpfrt/object.hpp"
#include "bpfrt/test_run.hpp"

#include "corpus.hpp"

namespace bpfrt {
namespace {

struct BpfObjectDeleter {
  void operator()(bpf_object* o) const { bpf_object__close(o); }
};
using LibbpfObject = std::unique_ptr<bpf_object, BpfObjectDeleter>;

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) {
      close(fd);
    }
  }
};

bool kernel_can_test_run(ProgType type) {
  return type == BPF_PROG_TYPE_XDP || type == BPF_PROG_TYPE_SCHED_CLS || type == BPF_PROG_TYPE_SOCKET_FILTER ||
         type == BPF_PROG_TYPE_SYSCALL;
}

bool calls_helpers(const Program& p) {
  for (size_t i = 0; i < p.size(); ++i) {
    if (p.op_at(i) != nullptr && p[i].opcode == 0x85 && p[i].src == 0) {
      return true;
    }
  }
  return false;
}

std::string skip_reason() {
  if (geteuid() != 0) {
    return "not root: BPF_PROG_TEST_RUN needs CAP_BPF";
  }
  const bpf_insn insns[] = {{0xb7, 0, 0, 0, 0}, {0x95, 0, 0, 0, 0}};
  const int fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "probe", "GPL", insns, 2, nullptr);
  if (fd < 0) {
    return std::string("the kernel refuses BPF programs: ") + std::strerror(errno);
  }
  close(fd);
  return "";
}

std::vector<uint8_t> packet(uint16_t ethertype, std::vector<uint8_t> l3, bool broadcast = false) {
  std::vector<uint8_t> p(broadcast ? 6 : 0, 0xff);
  p.resize(6, 0);
  const uint8_t src[6] = {2, 0, 0, 0, 0, 1};
  p.insert(p.end(), src, src + 6);
  p.push_back(static_cast<uint8_t>(ethertype >> 8));
  p.push_back(static_cast<uint8_t>(ethertype));
  p.insert(p.end(), l3.begin(), l3.end());
  return p;
}

std::vector<uint8_t> ipv4(uint8_t proto, uint8_t ttl, uint8_t tos, std::vector<uint8_t> l4) {
  const uint16_t total = static_cast<uint16_t>(20 + l4.size());
  std::vector<uint8_t> ip = {0x45,
                             tos,
                             static_cast<uint8_t>(total >> 8),
                             static_cast<uint8_t>(total),
                             0,
                             1,
                             0,
                             0,
                             ttl,
                             proto,
                             0x12,
                             0x34,
                             10,
                             0,
                             0,
                             1,
                             10,
                             0,
                             0,
                             2};
  ip.insert(ip.end(), l4.begin(), l4.end());
  return ip;
}

std::vector<uint8_t> udp(uint16_t dport, size_t payload) {
  std::vector<uint8_t> u = {
      0x04, 0xd2, static_cast<uint8_t>(dport >> 8), static_cast<uint8_t>(dport), 0, static_cast<uint8_t>(8 + payload),
      0,    0};
  for (size_t i = 0; i < payload; ++i) {
    u.push_back(static_cast<uint8_t>(i * 7));
  }
  return u;
}

std::vector<uint8_t> tcp(uint16_t dport, uint8_t flags) {
  std::vector<uint8_t> t(20, 0);
  t[2] = static_cast<uint8_t>(dport >> 8);
  t[3] = static_cast<uint8_t>(dport);
  t[12] = 5 << 4;
  t[13] = flags;
  t[14] = 0x72;
  t[15] = 0x10;
  return t;
}

std::vector<std::vector<uint8_t>> packets() {
  std::vector<uint8_t> ipv6(40, 0);
  ipv6[0] = 0x60;
  ipv6[5] = 8;
  ipv6[6] = 17;  // UDP
  ipv6[7] = 64;
  auto u6 = udp(5353, 0);
  ipv6.insert(ipv6.end(), u6.begin(), u6.end());
  std::vector<uint8_t> zeros(64, 0);
  // IPv6 with a hop-by-hop and a destination options header before TCP.
  std::vector<uint8_t> ipv6_ext(40, 0);
  ipv6_ext[0] = 0x60;
  ipv6_ext[5] = 16 + 20;
  ipv6_ext[6] = 0;  // hop-by-hop
  ipv6_ext[7] = 64;
  const std::vector<uint8_t> hbh = {60, 0, 1, 4, 0, 0, 0, 0}, dst = {6, 0, 1, 4, 0, 0, 0, 0};
  ipv6_ext.insert(ipv6_ext.end(), hbh.begin(), hbh.end());
  ipv6_ext.insert(ipv6_ext.end(), dst.begin(), dst.end());
  const auto t6 = tcp(22, 0x10);
  ipv6_ext.insert(ipv6_ext.end(), t6.begin(), t6.end());
  // 802.1ad outer tag (priority 5, VLAN 100), 802.1Q inner tag (VLAN 7), IPv4.
  std::vector<uint8_t> qinq = {0xa0, 100, 0x81, 0x00, 0x00, 7, 0x08, 0x00};
  const auto inner = ipv4(17, 64, 0, udp(53, 4));
  qinq.insert(qinq.end(), inner.begin(), inner.end());
  return {
      packet(0x86dd, ipv6_ext),
      packet(0x88a8, qinq),
      packet(0x0800, ipv4(17, 64, 0, udp(53, 18))),
      packet(0x0800, ipv4(17, 1, 0, udp(4000, 5))),
      packet(0x0800, ipv4(6, 30, 0x10, tcp(23, 0x02))),
      packet(0x0800, ipv4(6, 30, 0, tcp(443, 0x03)), true),
      packet(0x86dd, ipv6),
      packet(0x0806, std::vector<uint8_t>(28, 1)),
      packet(0x0800, {}),
      packet(0x0800, ipv4(17, 64, 0, udp(9, 200))),
      zeros,
  };
}

std::vector<std::vector<uint8_t>> syscall_contexts() {
  std::vector<std::vector<uint8_t>> out;
  auto args = [](uint64_t a, uint64_t b, uint32_t op) {
    std::vector<uint8_t> c(160, 0);
    std::memcpy(c.data(), &a, 8);
    std::memcpy(c.data() + 8, &b, 8);
    std::memcpy(c.data() + 16, &op, 4);
    return c;
  };
  out.push_back(std::vector<uint8_t>(160, 0));
  out.push_back(args(6, 7, 0));
  out.push_back(args(6, 7, 1));
  out.push_back(args(1000003, 17, 2));
  out.push_back(args(1000003, 0, 3));
  out.push_back(args(1, 1, 9));
  std::vector<uint8_t> hdr(160, 0);
  const auto t = tcp(80, 0x12);
  std::copy(t.begin(), t.end(), hdr.begin());
  out.push_back(hdr);
  std::mt19937 rng(7);
  std::vector<uint8_t> noise(160);
  for (auto& b : noise) {
    b = static_cast<uint8_t>(rng());
  }
  out.push_back(noise);
  return out;
}

std::vector<uint8_t> skb_context() {
  __sk_buff s{};
  s.mark = 5;
  s.priority = 3;
  s.cb[0] = 9;
  std::vector<uint8_t> c(sizeof(s));
  std::memcpy(c.data(), &s, sizeof(s));
  return c;
}

struct KernelResult {
  uint32_t retval = 0;
  std::vector<uint8_t> data_out;
  std::vector<uint8_t> ctx_out;
};

// SYSCALL programs take no ctx_out: the kernel writes the context back into ctx_in.
Result<KernelResult> kernel_run(int fd, const TestRunInput& in, bool syscall) {
  std::vector<uint8_t> data_out(in.data_in.size() + 512);
  std::vector<uint8_t> ctx_out(std::max<size_t>(in.ctx_in.size(), 256));
  std::vector<uint8_t> ctx_in = in.ctx_in;
  bpf_test_run_opts opts{};
  opts.sz = sizeof(opts);
  if (!in.data_in.empty()) {
    opts.data_in = in.data_in.data();
    opts.data_size_in = static_cast<uint32_t>(in.data_in.size());
    opts.data_out = data_out.data();
    opts.data_size_out = static_cast<uint32_t>(data_out.size());
  }
  if (!ctx_in.empty()) {
    opts.ctx_in = ctx_in.data();
    opts.ctx_size_in = static_cast<uint32_t>(ctx_in.size());
    if (!syscall) {
      opts.ctx_out = ctx_out.data();
      opts.ctx_size_out = static_cast<uint32_t>(ctx_out.size());
    }
  }
  if (bpf_prog_test_run_opts(fd, &opts) != 0) {
    return make_error(ErrorCode::kIo, std::string("BPF_PROG_TEST_RUN: ") + std::strerror(errno));
  }
  KernelResult r;
  r.retval = opts.retval;
  r.data_out.assign(data_out.begin(), data_out.begin() + opts.data_size_out);
  if (syscall) {
    r.ctx_out = ctx_in;
  } else {
    r.ctx_out.assign(ctx_out.begin(), ctx_out.begin() + opts.ctx_size_out);
  }
  return r;
}

// The kernel's program flags libbpf would set for the section.
uint32_t prog_flags(const ObjectProgram& p) {
  uint32_t flags = 0;
  if (p.attach.sleepable) {
    flags |= BPF_F_SLEEPABLE;
  }
  if (p.section.starts_with("xdp.frags")) {
    flags |= BPF_F_XDP_HAS_FRAGS;
  }
  return flags;
}

TEST(KernelCompare, MapFreeCorpusProgramsMatchBpfProgTestRun) {
  const std::string why = skip_reason();
  if (!why.empty()) {
    GTEST_SKIP() << why;
  }
  const auto names = test::corpus_objects();
  if (names.empty()) {
    GTEST_SKIP() << "the BPF corpus was not built";
  }
  HelperTable helpers;
  ASSERT_TRUE(add_core_poison_helper(helpers).ok());
  size_t compared = 0;
  size_t programs = 0;
  size_t refused = 0;
  bool jit = true;  // until create_engine says the JIT is not built
  for (const std::string& name : names) {
    const Object obj = test::open_corpus(name);
    for (const ObjectProgram& p : obj.programs()) {
      const std::string id = name + ":" + p.name;
      if (p.uses_maps()) {
        continue;  // needs the map runtime (part B)
      }
      if (!kernel_can_test_run(p.type)) {
        std::printf("skip %s: no BPF_PROG_TEST_RUN comparison for %s programs\n", id.c_str(),
                    prog_type_name(p.type).c_str());
        continue;
      }
      if (calls_helpers(p.program)) {
        std::printf("skip %s: calls kernel helpers, which bpfrt's engines get with the helper runtime\n", id.c_str());
        continue;
      }
      SCOPED_TRACE(id);
      ++programs;
      // The kernel, with libbpf's own relocation of the object.
      // Only this program, or (prog arrays initialised with .values need their targets) all of them.
      LibbpfObject lb;
      for (bool alone : {true, false}) {
        lb.reset(bpf_object__open_file(test::corpus_path(name).c_str(), nullptr));
        ASSERT_TRUE(lb != nullptr);
        bpf_program* prog;
        bpf_object__for_each_program(prog, lb.get()) {
          bpf_program__set_autoload(prog, !alone || p.name == bpf_program__name(prog));
        }
        if (bpf_object__load(lb.get()) == 0) {
          break;
        }
        ASSERT_TRUE(alone) << "libbpf cannot load " << id;
      }
      const int libbpf_fd = bpf_program__fd(bpf_object__find_program_by_name(lb.get(), p.name.c_str()));
      // The kernel, with bpfrt's instructions as they are.
      LIBBPF_OPTS(bpf_prog_load_opts, load_opts);
      load_opts.prog_flags = prog_flags(p);
      load_opts.expected_attach_type = static_cast<bpf_attach_type>(p.expected_attach_type);
      const auto* insns = reinterpret_cast<const bpf_insn*>(p.program.instructions().data());
      const std::string prog_name = p.name.substr(0, 15);
      Fd ours(bpf_prog_load(static_cast<bpf_prog_type>(p.type), prog_name.c_str(), obj.license().c_str(), insns,
                            p.program.size(), &load_opts));
      if (ours.fd < 0) {
        std::vector<char> log(16 << 20);
        load_opts.log_buf = log.data();
        load_opts.log_size = static_cast<uint32_t>(log.size());
        load_opts.log_level = 1;
        const int again = bpf_prog_load(static_cast<bpf_prog_type>(p.type), prog_name.c_str(), obj.license().c_str(),
                                        insns, p.program.size(), &load_opts);
        FAIL() << "the kernel refuses bpfrt's relocated " << id << " (" << again << "): " << log.data();
      }
      std::vector<TestRunInput> inputs;
      if (p.type == BPF_PROG_TYPE_SYSCALL) {
        for (auto& c : syscall_contexts()) {
          inputs.push_back(TestRunInput{{}, c, 1});
        }
      } else {
        for (auto& pkt : packets()) {
          inputs.push_back(TestRunInput{pkt, p.type == BPF_PROG_TYPE_XDP ? std::vector<uint8_t>{} : skb_context(), 1});
        }
      }
      for (size_t i = 0; i < inputs.size(); ++i) {
        SCOPED_TRACE("input " + std::to_string(i));
        const bool syscall = p.type == BPF_PROG_TYPE_SYSCALL;
        auto k1 = kernel_run(libbpf_fd, inputs[i], syscall);
        auto k2 = kernel_run(ours.fd, inputs[i], syscall);
        ASSERT_EQ(k1.ok(), k2.ok());
        if (!k1.ok()) {
          // The kernel refuses this input for this program type: so must bpfrt.
          EngineOptions options;
          options.helpers = &helpers;
          auto mine = test_run(EngineKind::kInterpreter, p.program, p.type, options, inputs[i]);
          EXPECT_FALSE(mine.ok()) << "the kernel says: " << k1.error().message;
          if (!mine.ok()) {
            EXPECT_EQ(mine.error().code, ErrorCode::kInvalidArgument);
          }
          ++refused;
          continue;
        }
        EXPECT_EQ(k1->retval, k2->retval);
        EXPECT_EQ(k1->data_out, k2->data_out);
        EXPECT_EQ(k1->ctx_out, k2->ctx_out);
        for (EngineKind kind : {EngineKind::kInterpreter, EngineKind::kJit}) {
          if (kind == EngineKind::kJit && !jit) {
            continue;
          }
          EngineOptions options;
          options.helpers = &helpers;
          auto mine = test_run(kind, p.program, p.type, options, inputs[i]);
          if (!mine.ok() && mine.error().code == ErrorCode::kUnsupported && kind == EngineKind::kJit) {
            std::printf("skip the JIT: %s\n", mine.error().message.c_str());
            jit = false;
            continue;
          }
          ASSERT_TRUE(mine.ok()) << engine_kind_name(kind) << ": " << mine.error().message;
          EXPECT_EQ(static_cast<uint32_t>(mine->retval), k1->retval) << engine_kind_name(kind);
          if (is_packet_program(p.type)) {
            EXPECT_EQ(mine->data_out, k1->data_out) << engine_kind_name(kind);
          }
          const std::vector<uint8_t> ctx(
              mine->ctx_out.begin(),
              mine->ctx_out.begin() + static_cast<ptrdiff_t>(std::min(mine->ctx_out.size(), k1->ctx_out.size())));
          EXPECT_EQ(ctx, k1->ctx_out) << engine_kind_name(kind);
          ++compared;
        }
      }
    }
  }
  std::printf("%zu programs, %zu runs compared with the kernel, %zu inputs refused by both\n", programs, compared,
              refused);
  EXPECT_GE(programs, 15u);
}

}  // namespace
}  // namespace bpfrt
