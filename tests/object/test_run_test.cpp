// test_run: the contexts BPF_PROG_TEST_RUN builds, per program type, with assembled programs.
#include "bpfrt/test_run.hpp"

#include <cstring>

#include <gtest/gtest.h>
#include <linux/bpf.h>

#include "test_util.hpp"

namespace bpfrt {
namespace {

using test::must_assemble;

std::vector<uint8_t> ipv4_udp_packet() {
  std::vector<uint8_t> p = {0,    0,    0, 0,  0, 0, 2, 0, 0,  0,  0, 1, 0x08, 0x00,  // eth: to 00:..:00, IPv4
                            0x45, 0,    0, 28, 0, 1, 0, 0, 64, 17, 0, 0, 10,   0,    0, 1, 10, 0, 0, 2,  // ip
                            0x04, 0xd2, 0, 53, 0, 8, 0, 0};  // udp 1234 -> 53
  return p;
}

Result<TestRunOutput> run(const std::string& text, ProgType type, TestRunInput in) {
  return test_run(EngineKind::kInterpreter, must_assemble(text), type, EngineOptions{}, in);
}

TEST(TestRun, XdpSeesThePacketThroughThirtyTwoBitFields) {
  TestRunInput in;
  in.data_in = ipv4_udp_packet();
  // r0 = data_end - data, plus the ethertype's first byte from the packet itself.
  auto out =
      run("ldxw %r2, [%r1+0]\nldxw %r3, [%r1+4]\nmov %r0, %r3\nsub %r0, %r2\nldxb %r4, [%r2+12]\nlsh %r4, 16\n"
          "or %r0, %r4\nexit",
          BPF_PROG_TYPE_XDP, in);
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(out->retval, 42u | (8u << 16));
  EXPECT_EQ(out->data_out, in.data_in);
  xdp_md md;
  ASSERT_EQ(out->ctx_out.size(), sizeof(md));
  std::memcpy(&md, out->ctx_out.data(), sizeof(md));
  EXPECT_EQ(md.data, 0u);
  EXPECT_EQ(md.data_end, 42u);
}

TEST(TestRun, XdpContextFieldsAndPacketWrites) {
  TestRunInput in;
  in.data_in = ipv4_udp_packet();
  in.repeat = 3;  // the same packet each time, as the kernel: the write accumulates
  auto out = run("ldxw %r2, [%r1+0]\nldxb %r3, [%r2+22]\nsub %r3, 1\nstxb [%r2+22], %r3\nldxw %r0, [%r1+12]\nexit",
                 BPF_PROG_TYPE_XDP, in);
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(out->retval, 1u);        // ingress_ifindex: loopback
  EXPECT_EQ(out->data_out[22], 61);  // TTL 64 - 3
  EXPECT_GT(out->duration_ns + 1, 0u);
}

TEST(TestRun, XdpAccessPastDataEndFails) {
  TestRunInput in;
  in.data_in = ipv4_udp_packet();
  auto out = run("ldxw %r2, [%r1+0]\nldxb %r0, [%r2+42]\nexit", BPF_PROG_TYPE_XDP, in);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, ErrorCode::kOutOfBounds);
  // The context itself is read-only for XDP.
  out = run("stw [%r1+12], 5\nmov %r0, 0\nexit", BPF_PROG_TYPE_XDP, in);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, ErrorCode::kOutOfBounds);
}

TEST(TestRun, XdpInputChecks) {
  TestRunInput in;
  in.data_in = std::vector<uint8_t>(10, 0);
  auto out = run("mov %r0, 2\nexit", BPF_PROG_TYPE_XDP, in);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().message.find("Ethernet header"), std::string::npos) << out.error().message;
  in.data_in = ipv4_udp_packet();
  xdp_md md{};
  md.data_end = 7;  // must be the packet size
  in.ctx_in.resize(sizeof(md));
  std::memcpy(in.ctx_in.data(), &md, sizeof(md));
  out = run("mov %r0, 2\nexit", BPF_PROG_TYPE_XDP, in);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().message.find("xdp_md"), std::string::npos);
  // Metadata: data = 4 bytes of metadata in front of the packet.
  md.data = 4;
  md.data_end = static_cast<uint32_t>(in.data_in.size());
  std::memcpy(in.ctx_in.data(), &md, sizeof(md));
  out = run("ldxw %r2, [%r1+8]\nldxw %r3, [%r1+0]\nmov %r0, %r3\nsub %r0, %r2\nexit", BPF_PROG_TYPE_XDP, in);
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(out->retval, 4u);
  in.data_in.clear();
  in.ctx_in.clear();
  out = run("mov %r0, 2\nexit", BPF_PROG_TYPE_SYSCALL, TestRunInput{ipv4_udp_packet(), {}, 1});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().message.find("take no packet"), std::string::npos);
}

TEST(TestRun, TcSkbFieldsAndCtxOut) {
  TestRunInput in;
  in.data_in = ipv4_udp_packet();
  __sk_buff given{};
  given.mark = 7;
  given.cb[0] = 9;
  in.ctx_in.resize(sizeof(given));
  std::memcpy(in.ctx_in.data(), &given, sizeof(given));
  // r0 = len | protocol << 8 | pkt_type << 24; mark = mark + ifindex.
  const std::string text =
      "ldxw %r0, [%r1+0]\nldxw %r2, [%r1+16]\nlsh %r2, 8\nor %r0, %r2\nldxw %r2, [%r1+4]\nlsh %r2, 24\nor %r0, %r2\n"
      "ldxw %r3, [%r1+8]\nldxw %r4, [%r1+40]\nadd %r3, %r4\nstxw [%r1+8], %r3\nexit";
  auto out = run(text, BPF_PROG_TYPE_SCHED_CLS, in);
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(out->retval, 42u | (0x0008u << 8) | (0u << 24));
  __sk_buff back;
  ASSERT_EQ(out->ctx_out.size(), sizeof(back));
  std::memcpy(&back, out->ctx_out.data(), sizeof(back));
  EXPECT_EQ(back.mark, 8u);  // 7 + ifindex 1
  EXPECT_EQ(back.cb[0], 9u);
  EXPECT_EQ(back.ifindex, 1u);
  EXPECT_EQ(back.wire_len, 42u);
  EXPECT_EQ(back.len, 0u);  // not copied back by the kernel
  // Fields the kernel does not accept in ctx_in.
  given.len = 5;
  std::memcpy(in.ctx_in.data(), &given, sizeof(given));
  out = run("mov %r0, 0\nexit", BPF_PROG_TYPE_SCHED_CLS, in);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().message.find("only mark, priority"), std::string::npos);
}

TEST(TestRun, PacketTypeFollowsTheDestinationMac) {
  TestRunInput in;
  in.data_in = ipv4_udp_packet();
  const std::string text = "ldxw %r0, [%r1+4]\nexit";
  EXPECT_EQ(run(text, BPF_PROG_TYPE_SCHED_CLS, in)->retval, 0u);  // host
  std::fill(in.data_in.begin(), in.data_in.begin() + 6, 0xff);
  EXPECT_EQ(run(text, BPF_PROG_TYPE_SCHED_CLS, in)->retval, 2u);  // broadcast: multicast on loopback
  in.data_in[0] = 0x01;
  EXPECT_EQ(run(text, BPF_PROG_TYPE_SCHED_CLS, in)->retval, 2u);  // multicast
  in.data_in[0] = 0x02;
  EXPECT_EQ(run(text, BPF_PROG_TYPE_SCHED_CLS, in)->retval, 3u);  // other host
}

TEST(TestRun, SocketFiltersStartAtTheNetworkHeader) {
  TestRunInput in;
  in.data_in = ipv4_udp_packet();
  // ldabsb 9 is the IP protocol byte; len is the packet without its Ethernet header.
  auto out = run("ldabsb 9\nldxw %r2, [%r1+0]\nlsh %r2, 8\nor %r0, %r2\nexit", BPF_PROG_TYPE_SOCKET_FILTER, in);
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(out->retval, 17u | (28u << 8));
  // The kernel hands back the frame with a zeroed Ethernet header.
  ASSERT_EQ(out->data_out.size(), in.data_in.size());
  EXPECT_EQ(std::vector<uint8_t>(out->data_out.begin(), out->data_out.begin() + 14), std::vector<uint8_t>(14, 0));
  EXPECT_EQ(std::vector<uint8_t>(out->data_out.begin() + 14, out->data_out.end()),
            std::vector<uint8_t>(in.data_in.begin() + 14, in.data_in.end()));
}

TEST(TestRun, SyscallContextIsReadAndWrittenBack) {
  TestRunInput in;
  in.ctx_in = {1, 2, 3, 4, 0, 0, 0, 0};
  auto out = run("ldxw %r2, [%r1+0]\nstxw [%r1+4], %r2\nmov %r0, %r2\nexit", BPF_PROG_TYPE_SYSCALL, in);
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(out->retval, 0x04030201u);
  EXPECT_EQ(out->ctx_out, (std::vector<uint8_t>{1, 2, 3, 4, 1, 2, 3, 4}));
  EXPECT_TRUE(out->data_out.empty());
  // Without a context, r1 is NULL.
  out = run("mov %r0, %r1\nexit", BPF_PROG_TYPE_SYSCALL, TestRunInput{});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->retval, 0u);
}

TEST(TestRun, PoisonedInstructionFailsOnlyWhenReached) {
  HelperTable helpers;
  ASSERT_TRUE(add_core_poison_helper(helpers).ok());
  EngineOptions options;
  options.helpers = &helpers;
  const std::string text = "mov %r0, 1\nja +1\ncall 195896080\nexit";  // the poisoned call is dead code
  auto out = test_run(EngineKind::kInterpreter, must_assemble(text), BPF_PROG_TYPE_SYSCALL, options, {});
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(out->retval, 1u);
  out = test_run(EngineKind::kInterpreter, must_assemble("call 195896080\nexit"), BPF_PROG_TYPE_SYSCALL, options, {});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().message.find("CO-RE"), std::string::npos);
}

TEST(TestRun, PacketProgramTypes) {
  EXPECT_TRUE(is_packet_program(BPF_PROG_TYPE_XDP));
  EXPECT_TRUE(is_packet_program(BPF_PROG_TYPE_SCHED_CLS));
  EXPECT_TRUE(is_packet_program(BPF_PROG_TYPE_SOCKET_FILTER));
  EXPECT_FALSE(is_packet_program(BPF_PROG_TYPE_SYSCALL));
  EXPECT_FALSE(is_packet_program(BPF_PROG_TYPE_KPROBE));
}

}  // namespace
}  // namespace bpfrt
