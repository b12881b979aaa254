// BPF_PROG_TEST_RUN in userspace: contexts per program type, packets below 4 GiB, timing.
#include "bpfrt/test_run.hpp"

#include <chrono>
#include <cstddef>
#include <cstring>
#include <optional>

#include <fmt/format.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <sys/mman.h>

#include "vm/verified_engine.hpp"

namespace bpfrt {
namespace {

constexpr uint32_t kLoopbackIfindex = 1;  // the kernel runs test packets on the loopback device
constexpr size_t kMaxPacket = 65535;
constexpr size_t kMaxContext = 65535;  // U16_MAX, the kernel's limit for ctx_size_in
constexpr uint32_t kMaxXdpMeta = 32;

Error input_error(std::string what) {
  return make_error(ErrorCode::kInvalidArgument, std::move(what));
}

// Memory below 4 GiB, so that a 32-bit context field can hold a pointer into it.
class LowMemory {
 public:
  static Result<LowMemory> allocate(size_t size) {
    void* p =
        mmap(nullptr, size == 0 ? 1 : size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    if (p == MAP_FAILED) {
      return make_error(ErrorCode::kResourceExhausted, "cannot map packet memory below 4 GiB (MAP_32BIT)");
    }
    LowMemory m;
    m.ptr_ = static_cast<uint8_t*>(p);
    m.size_ = size == 0 ? 1 : size;
    if (reinterpret_cast<uint64_t>(m.ptr_) + m.size_ > (uint64_t{1} << 32)) {
      return make_error(ErrorCode::kResourceExhausted, "packet memory was mapped above 4 GiB");
    }
    return m;
  }
  LowMemory(LowMemory&& o) noexcept : ptr_(std::exchange(o.ptr_, nullptr)), size_(o.size_) {}
  LowMemory& operator=(LowMemory&&) = delete;
  ~LowMemory() {
    if (ptr_ != nullptr) {
      munmap(ptr_, size_);
    }
  }
  uint8_t* data() const { return ptr_; }

 private:
  LowMemory() = default;
  uint8_t* ptr_ = nullptr;
  size_t size_ = 0;
};

uint32_t addr32(const uint8_t* p) {
  return static_cast<uint32_t>(reinterpret_cast<uintptr_t>(p));
}

bool all_zero(const std::vector<uint8_t>& v, size_t from, size_t to) {
  for (size_t i = from; i < to && i < v.size(); ++i) {
    if (v[i] != 0) {
      return false;
    }
  }
  return true;
}

// The context as a struct, zero-extended; the bytes past the struct must be zero.
template <class T>
Result<T> context_from(const std::vector<uint8_t>& ctx_in, const char* name) {
  T out{};
  if (!all_zero(ctx_in, sizeof(T), ctx_in.size())) {
    return input_error(fmt::format("ctx_in: {} bytes, larger than struct {} ({} bytes), with non-zero bytes past it",
                                   ctx_in.size(), name, sizeof(T)));
  }
  if (!ctx_in.empty()) {
    std::memcpy(&out, ctx_in.data(), std::min(ctx_in.size(), sizeof(T)));
  }
  return out;
}

// eth_type_trans on the loopback device, whose address and broadcast address are both all zeros:
// so ff:ff:ff:ff:ff:ff is PACKET_MULTICAST there, like any group address.
void classify_ethernet(const std::vector<uint8_t>& pkt, __sk_buff& skb) {
  const uint8_t* dst = pkt.data();
  const bool to_us = std::all_of(dst, dst + ETH_ALEN, [](uint8_t b) { return b == 0; });
  skb.pkt_type = to_us ? 0 /* PACKET_HOST */ : (dst[0] & 1) ? 2 /* PACKET_MULTICAST */ : 3 /* PACKET_OTHERHOST */;
  uint16_t proto = 0;
  std::memcpy(&proto, pkt.data() + 12, 2);  // network order, as skb->protocol holds it
  const uint16_t host = static_cast<uint16_t>((proto >> 8) | (proto << 8));
  if (host >= ETH_P_802_3_MIN) {
    skb.protocol = proto;
  } else {
    // 802.3 frames: raw IPX if the payload starts 0xffff, else 802.2 LLC.
    const bool raw = pkt.size() >= 16 && pkt[14] == 0xff && pkt[15] == 0xff;
    const uint16_t p = raw ? ETH_P_802_3 : ETH_P_802_2;
    skb.protocol = static_cast<uint16_t>((p >> 8) | (p << 8));
  }
  // The test socket's addresses come from the IP header (family is read by sk_skb programs).
  const uint8_t* l3 = pkt.data() + ETH_HLEN;
  const size_t l3_len = pkt.size() - ETH_HLEN;
  if (host == ETH_P_IP) {
    skb.family = 2;  // AF_INET
    if (l3_len >= 20) {
      std::memcpy(&skb.local_ip4, l3 + 12, 4);
      std::memcpy(&skb.remote_ip4, l3 + 16, 4);
    }
  } else if (host == ETH_P_IPV6) {
    skb.family = 10;  // AF_INET6
    if (l3_len >= 40) {
      std::memcpy(skb.local_ip6, l3 + 8, 16);
      std::memcpy(skb.remote_ip6, l3 + 24, 16);
    }
  }
}

struct Runner {
  EngineKind kind;
  ProgType type;
  const Program& program;
  TestRunOptions options;
  uint32_t repeat;
  std::optional<MemoryRegion> packet;  // the packet: the engine's, and the run's for tail-called programs

  Result<std::pair<uint64_t, uint64_t>> run(const RunArgs& args) {
    LoadOptions load;
    load.verify = options.verify;
    load.engine = std::move(options.engine);
    if (packet) {
      load.engine.regions.push_back(*packet);
    }
    if (options.verify) {
      auto vtype = verifier_program_type(type);
      if (!vtype) {
        return vtype.take_error();
      }
      load.verifier.type = *vtype;
      load.verifier.maps = options.maps;
      load.verifier.log_level = options.log_level;
      // Syscall programs are verified against any context below 64 KiB, then the context given must
      // cover what they touch (the kernel's max_ctx_offset check); raw programs against the context.
      load.verifier.ctx_size = *vtype == ProgramType::kRaw ? args.ctx_len : 0;
    }
    VerifierReport report;
    auto engine = load_engine(kind, program, std::move(load), &report);
    if (options.report != nullptr) {
      *options.report = report;
    }
    if (!engine) {
      return engine.take_error();
    }
    if (options.verify && type == BPF_PROG_TYPE_SYSCALL && report.ctx_size_required > args.ctx_len) {
      return input_error(fmt::format("ctx_in of {} bytes is smaller than the {} bytes the program accesses",
                                     args.ctx_len, report.ctx_size_required));
    }
    const RunRegionScope scope(packet ? std::span<const MemoryRegion>(&*packet, 1) : std::span<const MemoryRegion>());
    uint64_t r0 = 0;
    const auto start = std::chrono::steady_clock::now();
    for (uint32_t i = 0; i < repeat; ++i) {
      auto r = (*engine)->run(args);
      if (!r) {
        return r.take_error();
      }
      r0 = *r;
    }
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start);
    return std::make_pair(r0, static_cast<uint64_t>(ns.count()) / repeat);
  }
};

Status check_packet(const TestRunInput& in, ProgType type) {
  if (in.data_in.size() < ETH_HLEN) {
    return input_error(fmt::format("{} programs need a packet of at least an Ethernet header ({} bytes); got {}",
                                   prog_type_name(type), ETH_HLEN, in.data_in.size()));
  }
  if (in.data_in.size() > kMaxPacket) {
    return input_error(fmt::format("packet of {} bytes is larger than {}", in.data_in.size(), kMaxPacket));
  }
  return {};
}

Result<TestRunOutput> run_xdp(Runner runner, const TestRunInput& in) {
  BPFRT_TRY(check_packet(in, BPF_PROG_TYPE_XDP));
  auto md = context_from<xdp_md>(in.ctx_in, "xdp_md");
  if (!md) {
    return md.take_error();
  }
  const size_t size = in.data_in.size();
  uint32_t meta = 0;
  if (!in.ctx_in.empty()) {
    // As the kernel: data_meta 0, data = metadata length, data_end = packet size.
    if (md->data_meta != 0 || md->data_end != size || md->data > md->data_end || md->data > kMaxXdpMeta ||
        md->data % 4 != 0 || md->egress_ifindex != 0 || (md->ingress_ifindex == 0 && md->rx_queue_index != 0)) {
      return input_error(
          "ctx_in (xdp_md): data_meta and egress_ifindex must be 0, data the metadata length (a multiple of 4, "
          "at most 32), data_end the packet size, and rx_queue_index 0 unless ingress_ifindex is set");
    }
    meta = md->data;
  }
  auto mem = LowMemory::allocate(size);
  if (!mem) {
    return mem.take_error();
  }
  uint8_t* buf = mem->data();
  std::memcpy(buf, in.data_in.data(), size);
  xdp_md ctx{};
  ctx.data_meta = addr32(buf);
  ctx.data = addr32(buf + meta);
  ctx.data_end = addr32(buf + size);
  ctx.ingress_ifindex = md->ingress_ifindex != 0 ? md->ingress_ifindex : kLoopbackIfindex;
  ctx.rx_queue_index = md->rx_queue_index;
  runner.packet = MemoryRegion{reinterpret_cast<uint64_t>(buf), size, true};
  runner.options.engine.ctx_writable = false;
  RunArgs args{&ctx, sizeof(ctx), buf + meta, size - meta, nullptr};
  auto r = runner.run(args);
  if (!r) {
    return r.take_error();
  }
  TestRunOutput out;
  out.retval = r->first;
  out.duration_ns = r->second;
  out.data_out.assign(buf, buf + size);
  xdp_md back = *md;
  back.data = meta;
  back.data_end = static_cast<uint32_t>(size);
  back.data_meta = 0;
  out.ctx_out.resize(sizeof(back));
  std::memcpy(out.ctx_out.data(), &back, sizeof(back));
  return out;
}

// The __sk_buff fields BPF_PROG_TEST_RUN accepts in ctx_in; all others must be zero.
Status check_skb_ctx(const __sk_buff& s) {
  __sk_buff allowed{};
  allowed.mark = s.mark;
  allowed.priority = s.priority;
  allowed.ingress_ifindex = s.ingress_ifindex;
  allowed.ifindex = s.ifindex;
  std::memcpy(allowed.cb, s.cb, sizeof(s.cb));
  allowed.tstamp = s.tstamp;
  allowed.wire_len = s.wire_len;
  allowed.gso_segs = s.gso_segs;
  allowed.gso_size = s.gso_size;
  allowed.hwtstamp = s.hwtstamp;
  if (std::memcmp(&allowed, &s, sizeof(s)) != 0) {
    return input_error(
        "ctx_in (__sk_buff): only mark, priority, ingress_ifindex, ifindex, cb, tstamp, wire_len, gso_segs, "
        "gso_size and hwtstamp may be set");
  }
  return {};
}

Result<TestRunOutput> run_skb(Runner runner, ProgType type, const TestRunInput& in) {
  BPFRT_TRY(check_packet(in, type));
  auto given = context_from<__sk_buff>(in.ctx_in, "__sk_buff");
  if (!given) {
    return given.take_error();
  }
  BPFRT_TRY(check_skb_ctx(*given));
  // tc sees the frame from the Ethernet header; the others from the network header.
  const bool l2 = type == BPF_PROG_TYPE_SCHED_CLS || type == BPF_PROG_TYPE_SCHED_ACT;
  const size_t size = in.data_in.size();
  const size_t start = l2 ? 0 : ETH_HLEN;
  const size_t len = size - start;
  if (given->wire_len != 0 && given->wire_len < len) {
    return input_error(fmt::format("ctx_in: wire_len {} is smaller than the packet ({} bytes)", given->wire_len, len));
  }
  auto mem = LowMemory::allocate(size);
  if (!mem) {
    return mem.take_error();
  }
  uint8_t* buf = mem->data();
  std::memcpy(buf, in.data_in.data(), size);
  __sk_buff skb = *given;
  skb.len = static_cast<uint32_t>(len);
  classify_ethernet(in.data_in, skb);
  // As the kernel: an IP packet must hold its whole IP header.
  const size_t ip_header = skb.family == 2 ? 20 : skb.family == 10 ? 40 : 0;
  if (size < ETH_HLEN + ip_header) {
    return input_error(fmt::format("{} packet of {} bytes is shorter than its Ethernet and {} headers ({} bytes)",
                                   skb.family == 2 ? "an IPv4" : "an IPv6", size, skb.family == 2 ? "IPv4" : "IPv6",
                                   ETH_HLEN + ip_header));
  }
  skb.ifindex = given->ifindex != 0 ? given->ifindex : kLoopbackIfindex;
  skb.wire_len = given->wire_len != 0 ? given->wire_len : static_cast<uint32_t>(len);
  skb.data = addr32(buf + start);
  skb.data_meta = skb.data;
  skb.data_end = addr32(buf + size);
  runner.packet = MemoryRegion{reinterpret_cast<uint64_t>(buf + start), len, l2};
  runner.options.engine.ctx_writable = true;
  RunArgs args{&skb, sizeof(skb), buf + start, len, nullptr};
  auto r = runner.run(args);
  if (!r) {
    return r.take_error();
  }
  TestRunOutput out;
  out.retval = r->first;
  out.duration_ns = r->second;
  out.data_out.assign(buf, buf + size);
  if (!l2) {
    std::fill(out.data_out.begin(), out.data_out.begin() + ETH_HLEN, 0);  // the kernel pushes a zeroed header
  }
  // What the kernel copies back into ctx_out.
  __sk_buff back = *given;
  back.mark = skb.mark;
  back.priority = skb.priority;
  back.ingress_ifindex = given->ingress_ifindex;
  back.ifindex = skb.ifindex;
  back.tstamp = skb.tstamp;
  std::memcpy(back.cb, skb.cb, sizeof(skb.cb));
  back.wire_len = skb.wire_len;
  back.gso_segs = given->gso_segs;
  back.hwtstamp = given->hwtstamp;
  out.ctx_out.resize(sizeof(back));
  std::memcpy(out.ctx_out.data(), &back, sizeof(back));
  return out;
}

Result<TestRunOutput> run_plain(Runner runner, ProgType type, const TestRunInput& in) {
  if (!in.data_in.empty()) {
    return input_error(
        fmt::format("{} programs take no packet; pass the context (ctx_in) instead", prog_type_name(type)));
  }
  if (in.ctx_in.size() > kMaxContext) {
    return input_error(fmt::format("ctx_in of {} bytes is larger than {}", in.ctx_in.size(), kMaxContext));
  }
  std::vector<uint8_t> ctx = in.ctx_in;
  runner.options.engine.ctx_writable = type == BPF_PROG_TYPE_SYSCALL;
  RunArgs args{ctx.empty() ? nullptr : ctx.data(), ctx.size(), nullptr, 0, nullptr};
  auto r = runner.run(args);
  if (!r) {
    return r.take_error();
  }
  TestRunOutput out;
  out.retval = r->first;
  out.duration_ns = r->second;
  out.ctx_out = std::move(ctx);
  return out;
}

uint64_t core_poison(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, RunContext* rc) {
  rc->fail(
      "reached an instruction whose CO-RE relocation failed (poisoned by the loader; the kernel's verifier "
      "refuses such a program)");
  return 0;
}

}  // namespace

bool is_packet_program(ProgType type) {
  switch (type) {
    case BPF_PROG_TYPE_XDP:
    case BPF_PROG_TYPE_SCHED_CLS:
    case BPF_PROG_TYPE_SCHED_ACT:
    case BPF_PROG_TYPE_SOCKET_FILTER:
    case BPF_PROG_TYPE_CGROUP_SKB:
    case BPF_PROG_TYPE_LWT_IN:
    case BPF_PROG_TYPE_LWT_OUT:
    case BPF_PROG_TYPE_LWT_XMIT:
      return true;
    default:
      return false;
  }
}

Result<TestRunOutput> test_run(EngineKind kind, const Program& program, ProgType type, TestRunOptions options,
                               const TestRunInput& input) {
  Runner runner{kind, type, program, std::move(options), input.repeat == 0 ? 1u : input.repeat, std::nullopt};
  if (type == BPF_PROG_TYPE_XDP) {
    return run_xdp(std::move(runner), input);
  }
  if (is_packet_program(type)) {
    return run_skb(std::move(runner), type, input);
  }
  return run_plain(std::move(runner), type, input);
}

Result<TestRunOutput> test_run(EngineKind kind, const Program& program, ProgType type, EngineOptions options,
                               const TestRunInput& input) {
  TestRunOptions unverified;
  unverified.engine = std::move(options);
  unverified.verify = false;
  return test_run(kind, program, type, std::move(unverified), input);
}

Result<ProgramType> verifier_program_type(ProgType type) {
  for (ProgramType t : program_types()) {
    if (static_cast<ProgType>(t) == type) {
      return t;
    }
  }
  std::string known;
  for (ProgramType t : program_types()) {
    known += fmt::format("{}{}", known.empty() ? "" : ", ", program_type_name(t));
  }
  return make_error(ErrorCode::kUnsupported,
                    fmt::format("the verifier does not support {} programs (it supports {})", prog_type_name(type),
                                known));
}

Status add_core_poison_helper(HelperTable& table) {
  return table.add(HelperEntry{kCorePoisonHelperId, "bpfrt_core_poison", core_poison, HelperPrototype{}});
}

}  // namespace bpfrt
