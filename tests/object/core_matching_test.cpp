// CO-RE matching rules on hand-made local and target BTFs: flavours, ambiguity, TYPE_MATCHES, moved
// and resized fields, and how instructions are patched or poisoned.
#include <cstdio>

#include <bpf/btf.h>
#include <gtest/gtest.h>

#include "bpfrt/object.hpp"

#include "object/core_relo.hpp"

namespace bpfrt::object {
namespace {

// A BTF under construction, with the ids of what was added.
struct Builder {
  BtfPtr btf{btf__new_empty()};
  int add_int(const char* name, int size, bool is_signed) {
    return btf__add_int(btf.get(), name, size, is_signed ? BTF_INT_SIGNED : 0);
  }
  // struct NAME { TYPE fields...; } with byte offsets.
  int add_struct(const char* name, uint32_t size, std::vector<std::tuple<const char*, int, uint32_t>> fields) {
    const int id = btf__add_struct(btf.get(), name, size);
    for (auto& [fname, type, off] : fields) {
      btf__add_field(btf.get(), fname, type, off * 8, 0);
    }
    return id;
  }
  uint32_t str(const char* s) { return static_cast<uint32_t>(btf__add_str(btf.get(), s)); }
  std::string write(const std::string& path) {
    uint32_t size = 0;
    const void* raw = btf__raw_data(btf.get(), &size);
    FILE* f = std::fopen(path.c_str(), "wb");
    std::fwrite(raw, 1, size, f);
    std::fclose(f);
    return path;
  }
};

std::shared_ptr<const TargetBtf> load_target(Builder& b, const char* name) {
  auto t = TargetBtf::load(b.write(::testing::TempDir() + "/" + name));
  EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().message);
  return t.ok() ? *t : nullptr;
}

Instruction mov_imm(int32_t imm) {
  Instruction i;
  i.opcode = 0xb7;  // mov64 r0, imm
  i.imm = imm;
  return i;
}

Instruction load_word(int16_t off) {
  Instruction i;
  i.opcode = 0x61;  // ldxw r0, [r1+off]
  i.src = 1;
  i.offset = off;
  return i;
}

// Local: struct foo { int a; int b; } with b at 4; the program loads foo->b.
struct Local {
  Builder b;
  int int_id, foo;
  Local() {
    int_id = b.add_int("int", 4, true);
    foo = b.add_struct("foo", 8, {{"a", int_id, 0}, {"b", int_id, 4}});
  }
};

TEST(CoreMatching, FieldMovesAndFlavoursResolve) {
  Local local;
  Builder target;
  const int i = target.add_int("int", 4, true);
  target.add_struct("foo___v2", 16, {{"pad", i, 0}, {"b", i, 12}, {"a", i, 8}});
  auto t = load_target(target, "moved.btf");
  std::vector<Instruction> insns{load_word(4)};
  const CoreReloRecord rec{0, static_cast<uint32_t>(local.foo), local.b.str("0:1"), 0};
  auto r = apply_core_relocation(CoreContext{local.b.btf.get(), t.get(), false, "p"}, rec, insns, 0);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->spec, "foo.b");
  EXPECT_EQ(r->local_value, 4u);
  EXPECT_EQ(r->target_value, 12u);
  EXPECT_EQ(insns[0].offset, 12);
  EXPECT_FALSE(r->poisoned);
}

TEST(CoreMatching, AmbiguousCandidatesAreAnError) {
  Local local;
  Builder target;
  const int i = target.add_int("int", 4, true);
  target.add_struct("foo", 8, {{"a", i, 0}, {"b", i, 4}});
  target.add_struct("foo___other", 12, {{"a", i, 0}, {"b", i, 8}});
  auto t = load_target(target, "ambiguous.btf");
  std::vector<Instruction> insns{load_word(4)};
  const CoreReloRecord rec{0, static_cast<uint32_t>(local.foo), local.b.str("0:1"), 0};
  auto r = apply_core_relocation(CoreContext{local.b.btf.get(), t.get(), false, "prog"}, rec, insns, 0);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("ambiguous"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("program 'prog'"), std::string::npos);
  EXPECT_NE(r.error().message.find("access '0:1'"), std::string::npos);
}

TEST(CoreMatching, ResizedSignedFieldIsPoisonedUnsignedIsResized) {
  Local local;
  Builder target;
  const int i64 = target.add_int("long", 8, true);
  target.add_struct("foo", 16, {{"a", i64, 0}, {"b", i64, 8}});
  auto t = load_target(target, "resized.btf");
  std::vector<Instruction> insns{load_word(4)};
  const CoreReloRecord rec{0, static_cast<uint32_t>(local.foo), local.b.str("0:1"), 0};
  auto r = apply_core_relocation(CoreContext{local.b.btf.get(), t.get(), false, "p"}, rec, insns, 0);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->poisoned);  // a signed int that became 8 bytes cannot be loaded with a narrower load
  EXPECT_EQ(insns[0].opcode, 0x85);
  EXPECT_EQ(insns[0].imm, kCorePoisonHelperId);

  Builder ulocal;
  const int u32 = ulocal.add_int("unsigned int", 4, false);
  const int bar = ulocal.add_struct("bar", 8, {{"x", u32, 0}, {"y", u32, 4}});
  Builder utarget;
  const int u64 = utarget.add_int("unsigned long", 8, false);
  utarget.add_struct("bar", 16, {{"y", u64, 0}, {"x", u64, 8}});
  auto ut = load_target(utarget, "uresized.btf");
  std::vector<Instruction> uinsns{load_word(4)};
  const CoreReloRecord urec{0, static_cast<uint32_t>(bar), ulocal.str("0:1"), 0};
  auto ur = apply_core_relocation(CoreContext{ulocal.btf.get(), ut.get(), false, "p"}, urec, uinsns, 0);
  ASSERT_TRUE(ur.ok()) << ur.error().message;
  EXPECT_FALSE(ur->poisoned);
  EXPECT_EQ(uinsns[0].offset, 0);
  EXPECT_EQ(uinsns[0].opcode, 0x79);  // ldxw became ldxdw
}

TEST(CoreMatching, TypeMatchesComparesStructure) {
  Local local;
  Builder same;
  const int i = same.add_int("int", 4, true);
  same.add_struct("foo", 8, {{"b", i, 4}, {"a", i, 0}, {"extra", i, 0}});
  Builder different;
  const int u = different.add_int("int", 4, false);  // unsigned: does not match a signed int
  different.add_struct("foo", 8, {{"a", u, 0}, {"b", u, 4}});
  const CoreReloRecord rec{0, static_cast<uint32_t>(local.foo), local.b.str("0"),
                           static_cast<uint32_t>(CoreReloKind::kTypeMatches)};
  for (auto [builder, expected] : {std::pair<Builder*, int>{&same, 1}, {&different, 0}}) {
    auto t = load_target(*builder, expected ? "match.btf" : "nomatch.btf");
    std::vector<Instruction> insns{mov_imm(1)};
    auto r = apply_core_relocation(CoreContext{local.b.btf.get(), t.get(), false, "p"}, rec, insns, 0);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->target_value, static_cast<uint64_t>(expected));
    EXPECT_EQ(insns[0].imm, expected);
  }
}

TEST(CoreMatching, ExistenceAndStrictMode) {
  Local local;
  Builder target;
  const int i = target.add_int("int", 4, true);
  target.add_struct("foo", 4, {{"a", i, 0}});  // no b
  auto t = load_target(target, "nob.btf");
  const uint32_t access = local.b.str("0:1");
  std::vector<Instruction> insns{mov_imm(1)};
  const CoreReloRecord exists{0, static_cast<uint32_t>(local.foo), access,
                              static_cast<uint32_t>(CoreReloKind::kFieldExists)};
  auto r = apply_core_relocation(CoreContext{local.b.btf.get(), t.get(), true, "p"}, exists, insns, 0);
  ASSERT_TRUE(r.ok()) << r.error().message;  // existence checks never fail, even in strict mode
  EXPECT_EQ(insns[0].imm, 0);
  std::vector<Instruction> load{load_word(4)};
  const CoreReloRecord offset{0, static_cast<uint32_t>(local.foo), access, 0};
  auto strict = apply_core_relocation(CoreContext{local.b.btf.get(), t.get(), true, "p"}, offset, load, 0);
  ASSERT_FALSE(strict.ok());
  EXPECT_NE(strict.error().message.find("not found in the target BTF"), std::string::npos);
}

TEST(CoreMatching, MalformedRecordsAreErrors) {
  Local local;
  Builder target;
  target.add_int("int", 4, true);
  auto t = load_target(target, "plain.btf");
  std::vector<Instruction> insns{load_word(4)};
  const CoreContext ctx{local.b.btf.get(), t.get(), false, "p"};
  for (const char* access : {"", ":1", "0:x", "0:7", "0:1:2"}) {
    const CoreReloRecord rec{0, static_cast<uint32_t>(local.foo), local.b.str(access), 0};
    auto r = apply_core_relocation(ctx, rec, insns, 0);
    EXPECT_FALSE(r.ok()) << "access '" << access << "'";
  }
  const CoreReloRecord bad_kind{0, static_cast<uint32_t>(local.foo), local.b.str("0:1"), 99};
  EXPECT_FALSE(apply_core_relocation(ctx, bad_kind, insns, 0).ok());
  const CoreReloRecord bad_type{0, 12345, local.b.str("0:1"), 0};
  EXPECT_FALSE(apply_core_relocation(ctx, bad_type, insns, 0).ok());
  // A relocation whose instruction does not hold the local value: the object and its BTF disagree.
  std::vector<Instruction> wrong{load_word(8)};
  const CoreReloRecord rec{0, static_cast<uint32_t>(local.foo), local.b.str("0:1"), 0};
  Builder t2;
  const int i = t2.add_int("int", 4, true);
  t2.add_struct("foo", 8, {{"a", i, 0}, {"b", i, 4}});
  auto target2 = load_target(t2, "plain2.btf");
  auto r = apply_core_relocation(CoreContext{local.b.btf.get(), target2.get(), false, "p"}, rec, wrong, 0);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("disagree"), std::string::npos) << r.error().message;
}

TEST(CoreMatching, EssentialNames) {
  EXPECT_EQ(essential_name_len("task_struct"), 11u);
  EXPECT_EQ(essential_name_len("task_struct___old"), 11u);
  EXPECT_EQ(essential_name_len("a___b___c"), 5u);  // the last separator counts: "a___b"
  EXPECT_EQ(essential_name_len("___x"), 4u);
  EXPECT_EQ(essential_name_len("x____y"), 6u);  // four underscores: not a separator
}

}  // namespace
}  // namespace bpfrt::object
