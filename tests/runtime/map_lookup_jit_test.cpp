// bpf_map_lookup_elem from JIT'd programs: inline array lookups and direct hash lookups
// (EngineOptions::map_lookup_shortcut, filled by Runtime::engine_options) must return exactly the
// helper's pointer — the interpreter, which always calls the helper, is the reference.
#include <cstring>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "bpfrt/runtime.hpp"

#include "test_util.hpp"
#include "vm/jit/jit_engine.hpp"

namespace bpfrt {
namespace {

MapSpec spec_of(const std::string& name, MapType type, uint32_t key, uint32_t value, uint32_t max, uint32_t flags = 0) {
  MapSpec s;
  s.name = name;
  s.type = type;
  s.key_size = key;
  s.value_size = value;
  s.max_entries = max;
  s.flags = flags;
  return s;
}

std::unique_ptr<Runtime> private_runtime() {
  RegistryOptions ro;
  ro.name = "";
  auto rt = Runtime::open(ro);
  EXPECT_TRUE(rt.ok()) << (rt.ok() ? "" : rt.error().message);
  return rt ? std::move(*rt) : nullptr;
}

// Looks up the u32 (or u64 for hashes with 8-byte keys) at ctx[0] and returns the value pointer.
std::string lookup_program(uint32_t handle, int key_bytes = 4) {
  const char* load = key_bytes == 8 ? "ldxdw %r3, [%r1]\nstxdw [%r10-8], %r3" : "ldxw %r3, [%r1]\nstxw [%r10-8], %r3";
  return fmt::format(R"(
    {}
    lddw %r1, map_fd({})
    mov %r2, %r10
    add %r2, -8
    call 1
    exit
  )",
                     load, handle);
}

struct Engines {
  std::unique_ptr<Engine> interp, jit;
  const JitStats& stats() const { return dynamic_cast<const JitEngine&>(*jit).stats(); }
};

Engines make_engines(Runtime& rt, const std::string& text, uint64_t budget = 0) {
  Engines e;
  for (EngineKind kind : {EngineKind::kInterpreter, EngineKind::kJit}) {
    const Program program = test::must_assemble(text);
    auto options = rt.engine_options(program);
    EXPECT_TRUE(options.ok()) << (options.ok() ? "" : options.error().message);
    if (!options) {
      return e;
    }
    options->instruction_budget = budget;
    auto engine = create_engine(kind, program, std::move(*options));
    EXPECT_TRUE(engine.ok()) << (engine.ok() ? "" : engine.error().message);
    if (!engine) {
      return e;
    }
    (kind == EngineKind::kJit ? e.jit : e.interp) = std::move(*engine);
  }
  return e;
}

// Runs both engines on `key` (both entry paths of the JIT) and returns the JIT's r0 after checking the
// three agree.
uint64_t run_both(const Engines& e, uint64_t key) {
  uint64_t ctx = key;
  auto want = e.interp->run(RunArgs{&ctx, sizeof(ctx)});
  auto got = e.jit->run(RunArgs{&ctx, sizeof(ctx)});
  auto direct = e.jit->run(&ctx, sizeof(ctx));
  EXPECT_TRUE(want.ok() && got.ok() && direct.ok()) << "key " << key;
  if (!want || !got || !direct) {
    return 0;
  }
  EXPECT_EQ(*want, *got) << "key " << key;
  EXPECT_EQ(*want, *direct) << "key " << key;
  return *got;
}

TEST(JitMapLookup, ArrayLookupsAreInlineAndReturnTheHelpersPointer) {
  auto rt = private_runtime();
  // value sizes giving strides 8 (shift), 16 (shift), 24 (multiply) and 0 padding/odd sizes
  for (uint32_t value_size : {1u, 4u, 8u, 12u, 24u, 100u}) {
    const uint32_t max = 37;
    const uint32_t h = *rt->create_map(spec_of(fmt::format("a{}", value_size), MapType::kArray, 4, value_size, max));
    auto m = *rt->map(h);
    Engines e = make_engines(*rt, lookup_program(h));
    ASSERT_TRUE(e.jit);
    EXPECT_EQ(e.stats().inlined_lookups, 1u);
    for (uint64_t key : {0ull, 1ull, 2ull, 36ull, 37ull, 38ull, 0x7fffffffull, 0x80000000ull, 0xffffffffull,
                         0x100000000ull /* only the low 32 bits are the key */}) {
      const uint32_t k = static_cast<uint32_t>(key);
      const uint64_t want = reinterpret_cast<uint64_t>(m->prog_lookup(&k));
      EXPECT_EQ(run_both(e, key), want) << "value_size " << value_size << " key " << key;
      EXPECT_EQ(want == 0, k >= max);
    }
  }
}

// Through the returned pointer: writes reach the map (checked mode accepts the access), and a
// BPF_F_RDONLY_PROG array's value refuses them with the interpreter's error.
TEST(JitMapLookup, WritesThroughTheInlinePointerFollowTheMapsAccess) {
  auto rt = private_runtime();
  const std::string program = R"(
    ldxw %r3, [%r1]
    stxw [%r10-4], %r3
    lddw %r1, map_fd({})
    mov %r2, %r10
    add %r2, -4
    call 1
    jeq %r0, 0, out
    ldxdw %r1, [%r0+8]
    add %r1, 5
    stxdw [%r0+8], %r1
  out:
    exit
  )";
  const uint32_t rw = *rt->create_map(spec_of("rw", MapType::kArray, 4, 16, 4));
  const uint32_t ro = *rt->create_map(spec_of("ro", MapType::kArray, 4, 16, 4, 1u << 7 /* BPF_F_RDONLY_PROG */));
  Engines e = make_engines(*rt, fmt::format(fmt::runtime(program), rw));
  ASSERT_TRUE(e.jit);
  EXPECT_EQ(e.stats().inlined_lookups, 1u);
  for (uint64_t key : {0ull, 3ull, 4ull}) {
    run_both(e, key);
  }
  auto m = *rt->map(rw);
  uint8_t value[16];
  uint32_t key = 3;
  ASSERT_EQ(m->lookup(&key, value), 0);
  uint64_t second = 0;
  std::memcpy(&second, value + 8, 8);
  EXPECT_EQ(second, 15u);  // three runs of 5 (interpreter, JIT, JIT direct)

  Engines r = make_engines(*rt, fmt::format(fmt::runtime(program), ro));
  ASSERT_TRUE(r.jit);
  EXPECT_EQ(r.stats().inlined_lookups, 1u);
  uint64_t ctx = 1;
  auto want = r.interp->run(RunArgs{&ctx, sizeof(ctx)});
  auto got = r.jit->run(RunArgs{&ctx, sizeof(ctx)});
  ASSERT_FALSE(want.ok());
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, want.error().code);
  EXPECT_EQ(got.error().insn, want.error().insn);
  EXPECT_EQ(got.error().message, want.error().message);
}

// Per-CPU arrays and hashes call the map's lookup directly; the pointer is the helper's.
TEST(JitMapLookup, HashAndPerCpuLookupsCallTheMapDirectly) {
  auto rt = private_runtime();
  const uint32_t h = *rt->create_map(spec_of("h", MapType::kHash, 8, 16, 64));
  auto m = *rt->map(h);
  Engines e = make_engines(*rt, lookup_program(h, 8));
  ASSERT_TRUE(e.jit);
  EXPECT_EQ(e.stats().direct_lookups, 1u);
  EXPECT_EQ(e.stats().inlined_lookups, 0u);
  uint8_t value[16] = {};
  for (uint64_t k = 0; k < 40; k += 2) {
    ASSERT_EQ(m->update(&k, value), 0);
  }
  for (uint64_t k = 0; k < 45; ++k) {
    const uint64_t want = reinterpret_cast<uint64_t>(m->prog_lookup(&k));
    EXPECT_EQ(run_both(e, k), want) << k;
    EXPECT_EQ(want == 0, k % 2 == 1 || k >= 40) << k;
  }
  // after deletes and re-inserts
  for (uint64_t k = 0; k < 40; k += 4) {
    ASSERT_EQ(m->erase(&k), 0);
  }
  for (uint64_t k = 1; k < 10; k += 2) {
    ASSERT_EQ(m->update(&k, value), 0);
  }
  for (uint64_t k = 0; k < 45; ++k) {
    EXPECT_EQ(run_both(e, k), reinterpret_cast<uint64_t>(m->prog_lookup(&k))) << k;
  }

  const uint32_t p = *rt->create_map(spec_of("pc", MapType::kPercpuArray, 4, 8, 3));
  Engines pe = make_engines(*rt, lookup_program(p));
  ASSERT_TRUE(pe.jit);
  EXPECT_EQ(pe.stats().direct_lookups, 1u);
  EXPECT_EQ(pe.stats().inlined_lookups, 0u);
  for (uint64_t k = 0; k < 5; ++k) {
    uint64_t ctx = k;
    auto got = pe.jit->run(RunArgs{&ctx, sizeof(ctx)});
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(*got != 0, k < 3) << k;
  }
}

// BPF_F_WRONLY_PROG arrays: no inline layout, the map's lookup (NULL for every key) is called.
TEST(JitMapLookup, WriteOnlyArraysLookUpNothing) {
  auto rt = private_runtime();
  const uint32_t w = *rt->create_map(spec_of("w", MapType::kArray, 4, 8, 4, 1u << 8 /* BPF_F_WRONLY_PROG */));
  Engines e = make_engines(*rt, lookup_program(w));
  ASSERT_TRUE(e.jit);
  EXPECT_EQ(e.stats().inlined_lookups, 0u);
  EXPECT_EQ(e.stats().direct_lookups, 1u);
  for (uint64_t k = 0; k < 6; ++k) {
    EXPECT_EQ(run_both(e, k), 0u) << k;
  }
}

// Where the call site is not provably one map with a stack key, the helper is called as before.
TEST(JitMapLookup, UnprovenCallSitesKeepTheHelper) {
  auto rt = private_runtime();
  const uint32_t a = *rt->create_map(spec_of("a", MapType::kArray, 4, 8, 4));
  const uint32_t b = *rt->create_map(spec_of("b", MapType::kArray, 4, 8, 4));
  auto ma = *rt->map(a);
  auto mb = *rt->map(b);
  // r1 chosen on a branch: the call's block does not load it
  const std::string chosen = fmt::format(R"(
    ldxw %r3, [%r1]
    stxw [%r10-4], %r3
    lddw %r1, map_fd({})
    jeq %r3, 0, go
    lddw %r1, map_fd({})
  go:
    mov %r2, %r10
    add %r2, -4
    call 1
    exit
  )",
                                         a, b);
  Engines e = make_engines(*rt, chosen);
  ASSERT_TRUE(e.jit);
  EXPECT_EQ(e.stats().inlined_lookups + e.stats().direct_lookups, 0u);
  uint32_t zero = 0, one = 1;
  EXPECT_EQ(run_both(e, 0), reinterpret_cast<uint64_t>(ma->prog_lookup(&zero)));
  EXPECT_EQ(run_both(e, 1), reinterpret_cast<uint64_t>(mb->prog_lookup(&one)));

  // the key is in the context, not the stack: the helper checks it
  const std::string ctx_key = fmt::format(R"(
    mov %r2, %r1
    lddw %r1, map_fd({})
    call 1
    exit
  )",
                                          a);
  Engines c = make_engines(*rt, ctx_key);
  ASSERT_TRUE(c.jit);
  EXPECT_EQ(c.stats().inlined_lookups + c.stats().direct_lookups, 0u);
  const uint32_t two = 2;
  EXPECT_EQ(run_both(c, 2), reinterpret_cast<uint64_t>(ma->prog_lookup(&two)));

  // r1 overwritten after the lddw in the same block
  const std::string overwritten = fmt::format(R"(
    ldxw %r3, [%r1]
    stxw [%r10-4], %r3
    lddw %r1, map_fd({})
    lddw %r6, map_fd({})
    mov %r1, %r6
    mov %r2, %r10
    add %r2, -4
    call 1
    exit
  )",
                                              a, b);
  Engines o = make_engines(*rt, overwritten);
  ASSERT_TRUE(o.jit);
  EXPECT_EQ(o.stats().inlined_lookups + o.stats().direct_lookups, 0u);
  EXPECT_EQ(run_both(o, 1), reinterpret_cast<uint64_t>(mb->prog_lookup(&one)));
}

// Budgets: the inline lookup counts as the one call instruction it replaces.
TEST(JitMapLookup, BudgetStopsAtTheSameInstruction) {
  auto rt = private_runtime();
  const uint32_t a = *rt->create_map(spec_of("a", MapType::kArray, 4, 8, 4));
  const std::string loop = fmt::format(R"(
    mov %r6, 0
    mov %r7, 0
  again:
    stxw [%r10-4], %r6
    lddw %r1, map_fd({})
    mov %r2, %r10
    add %r2, -4
    call 1
    jeq %r0, 0, skip
    add %r7, 1
  skip:
    add %r6, 1
    jlt %r6, 6, again
    mov %r0, %r7
    exit
  )",
                                       a);
  for (uint64_t budget = 1; budget < 80; ++budget) {
    Engines e = make_engines(*rt, loop, budget);
    ASSERT_TRUE(e.jit);
    uint64_t ctx = 0;
    auto want = e.interp->run(RunArgs{&ctx, sizeof(ctx)});
    auto got = e.jit->run(RunArgs{&ctx, sizeof(ctx)});
    ASSERT_EQ(want.ok(), got.ok()) << budget;
    if (want.ok()) {
      EXPECT_EQ(*want, 4u);
      EXPECT_EQ(*got, *want) << budget;
    } else {
      EXPECT_EQ(got.error().code, want.error().code) << budget;
      EXPECT_EQ(got.error().insn, want.error().insn) << budget;
    }
  }
}

}  // namespace
}  // namespace bpfrt
