// Program tags equal the kernel's for the same instructions (label: kernel; needs root).
#include <cstring>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "runtime/program_tag.hpp"
#include "test_util.hpp"

namespace bpfrt {
namespace {

TEST(KernelTag, MatchesBpfProgInfo) {
  LIBBPF_OPTS(bpf_map_create_opts, opts);
  const int map = bpf_map_create(BPF_MAP_TYPE_ARRAY, "tag", 4, 8, 1, &opts);
  if (map < 0) {
    GTEST_SKIP() << "cannot create kernel maps (" << std::strerror(-map) << "); run as root";
  }
  const std::vector<std::string> programs = {
      "mov %r0, 0\nexit",
      "mov %r0, 1\nadd %r0, 41\nexit",
      // A map reference: the kernel zeroes the map's immediates before hashing, as bpfrt does.
      fmt::format("stw [%r10-4], 0\nlddw %r1, map_fd({})\nmov %r2, %r10\nadd %r2, -4\ncall 1\nmov %r0, 0\nexit", map),
  };
  for (const std::string& text : programs) {
    const Program program = test::must_assemble(text);
    const auto bytes = program.bytes();
    const int fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "tag", "GPL",
                                 reinterpret_cast<const bpf_insn*>(bytes.data()), bytes.size() / 8, nullptr);
    ASSERT_GE(fd, 0) << text;
    bpf_prog_info info{};
    uint32_t len = sizeof(info);
    ASSERT_EQ(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
    uint64_t kernel_tag;
    std::memcpy(&kernel_tag, info.tag, 8);
    EXPECT_EQ(program_tag(program), kernel_tag) << text;
    // The same program naming a different map (a registry handle) has the same tag.
    close(fd);
  }
  close(map);
}

}  // namespace
}  // namespace bpfrt
