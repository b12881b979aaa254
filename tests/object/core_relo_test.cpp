// CO-RE relocations: results against the running kernel's BTF compared with what libbpf's btf API
// reads from the same BTF, and against hand-made target BTFs (a different layout, missing types).
#include <cstdio>

#include <bpf/btf.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <unistd.h>

#include "bpfrt/object.hpp"
#include "bpfrt/test_run.hpp"

#include "corpus.hpp"

namespace bpfrt {
namespace {

using test::open_corpus;

struct BtfDeleter {
  void operator()(struct btf* b) const { btf__free(b); }
};
using BtfPtr = std::unique_ptr<struct btf, BtfDeleter>;

// Byte offset of `member` in struct `type` of `btf`, searching anonymous members; -1 if absent.
int64_t member_offset(const struct btf* btf, uint32_t type_id, std::string_view member) {
  const btf_type* t = btf__type_by_id(btf, type_id);
  while (btf_is_mod(t) || btf_is_typedef(t)) {
    type_id = t->type;
    t = btf__type_by_id(btf, type_id);
  }
  if (!btf_is_composite(t)) {
    return -1;
  }
  for (uint16_t i = 0; i < btf_vlen(t); ++i) {
    const btf_member& m = btf_members(t)[i];
    const std::string_view name = btf__name_by_offset(btf, m.name_off);
    if (name == member) {
      return btf_member_bit_offset(t, i) / 8;
    }
    if (name.empty()) {
      const int64_t inner = member_offset(btf, m.type, member);
      if (inner >= 0) {
        return btf_member_bit_offset(t, i) / 8 + inner;
      }
    }
  }
  return -1;
}

const CoreRelocation& core_at(const ObjectProgram& p, std::string_view spec, CoreReloKind kind) {
  for (const auto& c : p.core_relocations) {
    if (c.spec == spec && c.kind == kind) {
      return c;
    }
  }
  throw std::runtime_error("no CO-RE relocation " + std::string(spec));
}

TEST(CoreRelocations, MatchTheRunningKernelsBtf) {
  BPFRT_REQUIRE_CORPUS("core_values");
  BtfPtr vmlinux(btf__load_vmlinux_btf());
  if (!vmlinux) {
    GTEST_SKIP() << "no kernel BTF at /sys/kernel/btf/vmlinux";
  }
  const Object obj = open_corpus("core_values");
  EXPECT_EQ(obj.core_target(), "/sys/kernel/btf/vmlinux");
  const ObjectProgram& p = obj.programs()[0];
  const struct btf* k = vmlinux.get();
  const int32_t task = btf__find_by_name_kind(k, "task_struct", BTF_KIND_STRUCT);
  const int32_t skb = btf__find_by_name_kind(k, "sk_buff", BTF_KIND_STRUCT);
  const int32_t map_type = btf__find_by_name_kind(k, "bpf_map_type", BTF_KIND_ENUM);
  ASSERT_GT(task, 0);
  ASSERT_GT(skb, 0);
  ASSERT_GT(map_type, 0);
  EXPECT_EQ(core_at(p, "task_struct.pid", CoreReloKind::kFieldByteOffset).target_value,
            static_cast<uint64_t>(member_offset(k, task, "pid")));
  EXPECT_EQ(core_at(p, "task_struct.pid", CoreReloKind::kFieldByteOffset).target_type_id, static_cast<uint32_t>(task));
  // The flavour resolves to the kernel's task_struct: pid at the kernel's offset, the fake field missing.
  EXPECT_EQ(core_at(p, "task_struct___fake.pid", CoreReloKind::kFieldByteOffset).target_value,
            static_cast<uint64_t>(member_offset(k, task, "pid")));
  EXPECT_EQ(core_at(p, "task_struct___fake.no_such_field_in_any_kernel", CoreReloKind::kFieldExists).target_value, 0u);
  EXPECT_EQ(core_at(p, "task_struct.pid", CoreReloKind::kFieldExists).target_value, 1u);
  EXPECT_EQ(core_at(p, "sk_buff", CoreReloKind::kTypeSize).target_value,
            static_cast<uint64_t>(btf__resolve_size(k, static_cast<uint32_t>(skb))));
  EXPECT_EQ(core_at(p, "task_struct", CoreReloKind::kTypeSize).target_value,
            static_cast<uint64_t>(btf__resolve_size(k, static_cast<uint32_t>(task))));
  EXPECT_EQ(core_at(p, "sk_buff.len", CoreReloKind::kFieldByteOffset).target_value,
            static_cast<uint64_t>(member_offset(k, skb, "len")));
  EXPECT_EQ(core_at(p, "bpfrt_no_such_type", CoreReloKind::kTypeExists).target_value, 0u);
  EXPECT_EQ(core_at(p, "task_struct", CoreReloKind::kTypeExists).target_value, 1u);
  EXPECT_EQ(core_at(p, "task_struct.pid", CoreReloKind::kFieldSigned).target_value, 1u);
  EXPECT_EQ(core_at(p, "sk_buff.len", CoreReloKind::kFieldSigned).target_value, 0u);
  // Enumerator values from the kernel's enum bpf_map_type.
  const btf_type* e = btf__type_by_id(k, static_cast<uint32_t>(map_type));
  int64_t ringbuf = -1;
  for (uint16_t i = 0; i < btf_vlen(e); ++i) {
    if (std::string_view(btf__name_by_offset(k, btf_enum(e)[i].name_off)) == "BPF_MAP_TYPE_RINGBUF") {
      ringbuf = btf_enum(e)[i].val;
    }
  }
  EXPECT_EQ(core_at(p, "bpf_map_type::BPF_MAP_TYPE_RINGBUF", CoreReloKind::kEnumvalValue).target_value,
            static_cast<uint64_t>(ringbuf));
  EXPECT_EQ(core_at(p, "bpfrt_fake_enum::BPFRT_FAKE_VALUE", CoreReloKind::kEnumvalExists).target_value, 0u);
  for (const auto& c : p.core_relocations) {
    EXPECT_FALSE(c.poisoned) << c.spec;
  }
}

TEST(CoreRelocations, BitfieldShiftsAgreeWithTheKernelLayout) {
  BPFRT_REQUIRE_CORPUS("core_bitfield");
  const Object obj = open_corpus("core_bitfield");
  const ObjectProgram& p = obj.programs()[0];
  EXPECT_GE(p.core_relocations.size(), 20u);
  // A TCP header with SYN+ACK, data offset 5 and window 0x1234, read through the relocated program.
  std::vector<uint8_t> tcp(20, 0);
  tcp[12] = 5 << 4;  // doff
  tcp[13] = 0x12;    // ACK | SYN
  tcp[14] = 0x12;    // window (network order)
  tcp[15] = 0x34;
  TestRunInput in;
  in.ctx_in = tcp;
  HelperTable helpers;
  ASSERT_TRUE(add_core_poison_helper(helpers).ok());
  EngineOptions options;
  options.helpers = &helpers;
  auto out = test_run(EngineKind::kInterpreter, p.program, p.type, options, in);
  ASSERT_TRUE(out.ok()) << out.error().message;
  // syn (bit 0), ack (bit 1), doff 5 at bits 8.., window read raw (network order on little endian: 0x3412).
  EXPECT_EQ(out->retval & 0xffff, 0x0503u);
  EXPECT_EQ(out->retval >> 16, 0x3412u);
}

// A target BTF written by hand: task_struct with a different layout, no sk_buff, no bpf_map_type.
std::string write_target_btf(const std::string& path) {
  BtfPtr b(btf__new_empty());
  const int int_id = btf__add_int(b.get(), "int", 4, BTF_INT_SIGNED);
  const int char_id = btf__add_int(b.get(), "char", 1, BTF_INT_SIGNED);
  const int comm_id = btf__add_array(b.get(), int_id, char_id, 32);
  const int task = btf__add_struct(b.get(), "task_struct", 64);
  btf__add_field(b.get(), "flags", int_id, 0, 0);
  btf__add_field(b.get(), "pid", int_id, 8 * 8, 0);
  btf__add_field(b.get(), "comm", comm_id, 16 * 8, 0);
  (void)task;
  uint32_t size = 0;
  const void* raw = btf__raw_data(b.get(), &size);
  FILE* f = std::fopen(path.c_str(), "wb");
  std::fwrite(raw, 1, size, f);
  std::fclose(f);
  return path;
}

TEST(CoreRelocations, ResolveAgainstAGivenBtfFileAndPoisonWhatIsMissing) {
  BPFRT_REQUIRE_CORPUS("core_values");
  const std::string path = write_target_btf(::testing::TempDir() + "/bpfrt_target.btf");
  OpenOptions options;
  options.target_btf_path = path;
  const Object obj = open_corpus("core_values", options);
  EXPECT_EQ(obj.core_target(), path);
  const ObjectProgram& p = obj.programs()[0];
  EXPECT_EQ(core_at(p, "task_struct.pid", CoreReloKind::kFieldByteOffset).target_value, 8u);
  EXPECT_EQ(core_at(p, "task_struct.comm", CoreReloKind::kFieldByteSize).target_value, 32u);
  EXPECT_EQ(core_at(p, "task_struct___fake.pid", CoreReloKind::kFieldByteOffset).target_value, 8u);
  EXPECT_EQ(core_at(p, "task_struct", CoreReloKind::kTypeSize).target_value, 64u);
  // Missing type: existence and size relocations give 0 without poisoning.
  EXPECT_EQ(core_at(p, "sk_buff", CoreReloKind::kTypeSize).target_value, 0u);
  EXPECT_FALSE(core_at(p, "sk_buff", CoreReloKind::kTypeSize).poisoned);
  // A field of a missing type and an enumerator value cannot be given: those instructions are poisoned.
  const CoreRelocation& len = core_at(p, "sk_buff.len", CoreReloKind::kFieldByteOffset);
  EXPECT_TRUE(len.poisoned);
  const Instruction& insn = p.program[len.insn];
  EXPECT_EQ(insn.opcode, 0x85);
  EXPECT_EQ(insn.imm, kCorePoisonHelperId);
  const CoreRelocation& ringbuf = core_at(p, "bpf_map_type::BPF_MAP_TYPE_RINGBUF", CoreReloKind::kEnumvalValue);
  EXPECT_TRUE(ringbuf.poisoned);
  // lddw: both slots are poisoned.
  EXPECT_EQ(p.program[ringbuf.insn + 1].imm, kCorePoisonHelperId);
  // Running it reaches a poisoned instruction: a clear error, as the kernel verifier would refuse it.
  HelperTable helpers;
  ASSERT_TRUE(add_core_poison_helper(helpers).ok());
  EngineOptions eo;
  eo.helpers = &helpers;
  TestRunInput in;
  in.ctx_in.resize(160);
  auto out = test_run(EngineKind::kInterpreter, p.program, p.type, eo, in);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, ErrorCode::kHelperFailed);
  EXPECT_NE(out.error().message.find("CO-RE"), std::string::npos) << out.error().message;
  // Strict mode: the first unresolvable relocation is an error naming the program, instruction and access.
  options.strict_core = true;
  auto strict = Object::open(test::corpus_path("core_values"), options);
  ASSERT_FALSE(strict.ok());
  EXPECT_NE(strict.error().message.find("program 'core_values'"), std::string::npos) << strict.error().message;
  EXPECT_NE(strict.error().message.find("access '"), std::string::npos) << strict.error().message;
  EXPECT_NE(strict.error().message.find("instruction"), std::string::npos) << strict.error().message;
  std::remove(path.c_str());
}

TEST(CoreRelocations, BadTargetBtfIsAnError) {
  BPFRT_REQUIRE_CORPUS("core_values");
  const std::string path = ::testing::TempDir() + "/bpfrt_bad.btf";
  FILE* f = std::fopen(path.c_str(), "wb");
  std::fputs("this is not BTF at all", f);
  std::fclose(f);
  OpenOptions options;
  options.target_btf_path = path;
  auto obj = Object::open(test::corpus_path("core_values"), options);
  ASSERT_FALSE(obj.ok());
  EXPECT_NE(obj.error().message.find("target BTF"), std::string::npos) << obj.error().message;
  options.target_btf_path = "/nonexistent/vmlinux";
  obj = Object::open(test::corpus_path("core_values"), options);
  ASSERT_FALSE(obj.ok());
  EXPECT_NE(obj.error().message.find("/nonexistent/vmlinux"), std::string::npos);
  std::remove(path.c_str());
  // Objects without CO-RE relocations never read the target BTF.
  if (test::have_corpus_object("xdp_pass")) {
    EXPECT_TRUE(Object::open(test::corpus_path("xdp_pass"), options).ok());
  }
}

TEST(CoreRelocations, TracingChainsResolve) {
  BPFRT_REQUIRE_CORPUS("core_task");
  const Object obj = open_corpus("core_task");
  const ObjectProgram* p = obj.find_program("on_getpid");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->type, BPF_PROG_TYPE_TRACEPOINT);
  EXPECT_EQ(p->attach.category, "syscalls");
  EXPECT_FALSE(p->core_relocations.empty());
  bool state_exists = false;
  for (const auto& c : p->core_relocations) {
    if (c.kind == CoreReloKind::kFieldExists && c.spec == "task_struct___old.state") {
      state_exists = true;
      EXPECT_EQ(c.target_value, 0u);  // renamed to __state in 5.14; this kernel is newer
    }
  }
  EXPECT_TRUE(state_exists);
  EXPECT_TRUE(p->uses_maps());  // seen_pid in .bss
}

}  // namespace
}  // namespace bpfrt
