// Soundness fuzzer for the verifier: mutated programs go through verify_program; every program it
// accepts then runs on the interpreter, whose run-time checks stay on, in an environment that keeps the
// promises the verifier relies on (maps with the declared shapes, helpers that honour their prototypes,
// packet pointers that really bound the packet). Any memory fault, call-depth error, bad callx or
// exhausted instruction budget in an accepted program is a verifier soundness bug and aborts. Helpers
// also abort if an argument the verifier proved accessible is not.
//
// Input: a 40-byte header, then bytecode.
//   byte 0      program type (index into kTypes)
//   bytes 1-2   raw programs: context size (little-endian, at most 4096)
//   byte 3      packet length for xdp/tc programs
//   bytes 4-7   seed for the context bytes
//   bytes 8-39  four map declarations for lddw map_fd(1..4): type, key size, value size (2 bytes),
//               max entries (2 bytes), flags (2 bytes)
// fuzz/seeds.d/fuzz_verifier.sh builds seeds from the verifier corpus and the conformance vectors.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include <linux/bpf.h>
#include <sys/mman.h>

#include "bpfrt/engine.hpp"
#include "bpfrt/verifier.hpp"

#include "helpers/conformance_helpers.hpp"
#include "helpers/helper_prototypes.hpp"

namespace {

using namespace bpfrt;

constexpr size_t kHeader = 40;
constexpr size_t kMaps = 4;
// The verifier explores at most kProcessed instructions; no run of an accepted program can execute more
// (every step of a run follows a step the verifier explored, and no explored step twice). The limit is
// below the kernel's million to keep the fuzzer fast under ASan.
constexpr uint64_t kProcessed = 100'000;
constexpr uint64_t kBudget = kProcessed + 1;

constexpr ProgramType kTypes[] = {ProgramType::kRaw,       ProgramType::kSocketFilter,  ProgramType::kKprobe,
                                  ProgramType::kSchedCls,  ProgramType::kTracepoint,    ProgramType::kXdp,
                                  ProgramType::kPerfEvent, ProgramType::kRawTracepoint, ProgramType::kSyscall};

[[noreturn]] void unsound(const char* what, const std::string& detail) {
  std::fprintf(stderr, "VERIFIER SOUNDNESS BUG: %s\n%s\n", what, detail.c_str());
  std::abort();
}

// A map as the helpers see it: lddw map_fd(N) resolves to the address of one of these.
struct FuzzMap {
  MapInfo info;
  std::vector<uint8_t> values;     // max_entries * value_size (ring buffers: the data area)
  std::unique_ptr<FuzzMap> inner;  // array/hash of maps: the one inner map every slot holds
};

struct Env {
  std::array<std::unique_ptr<FuzzMap>, kMaps> maps;
  std::vector<MemoryRegion> regions;
};

FuzzMap* as_map(uint64_t r) {
  return reinterpret_cast<FuzzMap*>(r);
}

uint64_t mix(uint64_t a, uint64_t b) {
  uint64_t x = a * 0x9e3779b97f4a7c15ULL ^ (b + 0x632be59bd9b4e019ULL);
  x ^= x >> 29;
  return x * 0xbf58476d1ce4e5b9ULL;
}

void need(RunContext* rc, uint64_t ptr, uint64_t size, bool write, int32_t id, int arg) {
  if (size != 0 && !rc->accessible(ptr, size, write)) {
    unsound("a helper argument the verifier accepted is not accessible",
            "helper " + std::to_string(id) + " argument " + std::to_string(arg) + " size " + std::to_string(size));
  }
}

// One implementation for every standard helper, driven by its prototype: memory arguments are checked
// (and written when the helper fills them), map lookups return a value of the map's size or NULL, ring
// buffer reservations return memory of the requested size or NULL.
uint64_t generic_helper(int32_t id, const std::array<uint64_t, 5>& r, RunContext* rc) {
  const StandardHelper* h = find_standard_helper(id);
  const HelperPrototype& p = h->prototype;
  FuzzMap* map = nullptr;
  for (size_t a = 0; a < 5; ++a) {
    const ArgType t = p.args[a];
    const uint64_t v = r[a];
    switch (t) {
      case ArgType::kConstMapPtr:
        map = as_map(v);
        break;
      case ArgType::kPtrToMapKey:
        need(rc, v, map->info.key_size, false, id, static_cast<int>(a) + 1);
        break;
      case ArgType::kPtrToMapValue:
        need(rc, v, map->info.value_size, false, id, static_cast<int>(a) + 1);
        break;
      case ArgType::kPtrToUninitMapValue:
        need(rc, v, map->info.value_size, true, id, static_cast<int>(a) + 1);
        std::memset(reinterpret_cast<void*>(v), 0x5a, map->info.value_size);
        break;
      case ArgType::kPtrToMem:
      case ArgType::kPtrToMemOrNull:
      case ArgType::kPtrToUninitMem:
      case ArgType::kPtrToUninitMemOrNull: {
        const bool write = t == ArgType::kPtrToUninitMem || t == ArgType::kPtrToUninitMemOrNull;
        const bool or_null = t == ArgType::kPtrToMemOrNull || t == ArgType::kPtrToUninitMemOrNull;
        const uint64_t size = a + 1 < 5 ? r[a + 1] : 0;
        if (or_null && v == 0) {
          break;
        }
        need(rc, v, size, write, id, static_cast<int>(a) + 1);
        if (write && size != 0) {
          std::memset(reinterpret_cast<void*>(v), 0, size);
        }
        break;
      }
      case ArgType::kPtrToLong:
        need(rc, v, 8, true, id, static_cast<int>(a) + 1);
        std::memset(reinterpret_cast<void*>(v), 0, 8);
        break;
      default:
        break;
    }
  }
  switch (p.ret) {
    case RetType::kPtrToMapValueOrNull: {
      if (map->inner) {
        return (r[1] & 1) != 0 ? 0 : reinterpret_cast<uint64_t>(map->inner.get());
      }
      const uint32_t value_size = map->info.value_size;
      const uint32_t max = map->info.max_entries;
      if (max == 0 || value_size == 0) {
        return 0;
      }
      const auto* key = reinterpret_cast<const uint8_t*>(r[1]);
      uint64_t k = 0;
      std::memcpy(&k, key, std::min<uint32_t>(map->info.key_size, 8));
      if (map->info.type == BPF_MAP_TYPE_ARRAY || map->info.type == BPF_MAP_TYPE_PERCPU_ARRAY) {
        const auto index = static_cast<uint32_t>(k);
        return index < max ? reinterpret_cast<uint64_t>(&map->values[size_t{index} * value_size]) : 0;
      }
      if ((k & 1) != 0) {
        return 0;  // "not found": both outcomes of the NULL check get exercised
      }
      return reinterpret_cast<uint64_t>(&map->values[(mix(k, 1) % max) * value_size]);
    }
    case RetType::kPtrToAllocMemOrNull: {
      const uint64_t size = r[1];
      if (size == 0 || size > map->values.size() || (mix(size, 2) & 3) == 0) {
        return 0;
      }
      return reinterpret_cast<uint64_t>(map->values.data());
    }
    case RetType::kVoid:
      return 0;
    case RetType::kInteger:
      return id == 12 ? static_cast<uint64_t>(-1) : mix(static_cast<uint64_t>(id), r[0]);  // tail_call fails
  }
  return 0;
}

template <int32_t Id>
uint64_t helper_entry(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, RunContext* rc) {
  return generic_helper(Id, {r1, r2, r3, r4, r5}, rc);
}

// The helper ids bpfrt's prototype table has; each gets an instance of helper_entry.
#define BPFRT_FUZZ_HELPER_IDS(X)                                                                                      \
  X(1)                                                                                                                \
  X(2)                                                                                                                \
  X(3)                                                                                                                \
  X(4) X(5) X(6) X(7) X(8) X(12) X(14) X(15) X(16) X(25) X(27) X(36) X(45) X(58) X(67) X(87) X(88) X(89) X(93) X(94)  \
      X(109) X(112) X(113) X(114) X(115) X(125) X(130) X(131) X(132) X(133) X(134) X(160) X(164) X(165) X(173) X(174) \
          X(177) X(181) X(182) X(183) X(184) X(185) X(186) X(187)

const HelperTable& kernel_helpers() {
  static const HelperTable table = [] {
    HelperTable t;
#define BPFRT_FUZZ_ADD(id)                                                               \
  if (const StandardHelper* h = find_standard_helper(id); h != nullptr) {                \
    (void)t.add(HelperEntry{id, std::string(h->name), &helper_entry<id>, h->prototype}); \
  }
    BPFRT_FUZZ_HELPER_IDS(BPFRT_FUZZ_ADD)
#undef BPFRT_FUZZ_ADD
    // Every prototype in the table must have an implementation here, or accepted calls could not run.
    if (t.size() != standard_helpers().size()) {
      std::fprintf(stderr, "fuzz_verifier: update BPFRT_FUZZ_HELPER_IDS (%zu of %zu helpers)\n", t.size(),
                   standard_helpers().size());
      std::abort();
    }
    return t;
  }();
  return table;
}

const HelperTable& raw_helpers() {
  static const HelperTable table = [] {
    HelperTable t;
    (void)add_conformance_helpers(t);
    return t;
  }();
  return table;
}

uint16_t le16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}

// A packet buffer below 4 GiB, so that the 32-bit data/data_end context fields hold real addresses.
struct Packet {
  uint8_t* base = nullptr;
  static constexpr size_t kSize = 4096;
  static constexpr size_t kHeadroom = 256;
  Packet() {
    void* p = mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    if (p == MAP_FAILED) {
      std::perror("mmap MAP_32BIT");
      std::abort();
    }
    base = static_cast<uint8_t*>(p);
  }
};

Packet& packet() {
  static Packet p;
  return p;
}

void put32(std::vector<uint8_t>& ctx, size_t off, uint64_t v) {
  const auto x = static_cast<uint32_t>(v);
  std::memcpy(&ctx[off], &x, 4);
}

// BPFRT_FUZZ_STATS=1 prints how many inputs decoded, were accepted and ran, to judge the seeds.
struct Counts {
  uint64_t inputs = 0, decoded = 0, accepted = 0, ran_ok = 0;
  ~Counts() {
    if (std::getenv("BPFRT_FUZZ_STATS") != nullptr) {
      std::fprintf(stderr, "fuzz_verifier: %lu inputs, %lu decoded, %lu accepted, %lu ran to exit\n",
                   static_cast<unsigned long>(inputs), static_cast<unsigned long>(decoded),
                   static_cast<unsigned long>(accepted), static_cast<unsigned long>(ran_ok));
    }
  }
};
Counts g_counts;

}  // namespace

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

// Half of the mutations work on whole instructions (a register, an offset, an immediate, an opcode of
// the same class, a duplicated, dropped or swapped slot), so that most mutants still decode and reach
// the verifier; the other half are libFuzzer's byte-level mutations.
// Writes a fresh program of the shapes pruning and precision bugs hide in: values that differ between
// the paths meeting at a join (constants, masked unknowns, copies, spills, subprogram results), then
// used as offsets into the stack, a map value or the context, or compared in branches. Returns its
// length in bytes.
size_t generate_program(uint64_t (*next)(void*, uint64_t), void* rng, uint8_t* out, size_t max_slots) {
  std::vector<Instruction> p;
  auto r = [&](uint64_t n) { return next(rng, n); };
  auto emit = [&](uint8_t opcode, int dst, int src, int16_t off, int32_t imm) {
    p.push_back(Instruction{opcode, static_cast<uint8_t>(dst), static_cast<uint8_t>(src), off, imm});
  };
  static constexpr int32_t kConsts[] = {0, 1, 7, 8, 15, 16, 24, 31, 32, 56, 63, 64, 100, 255, -1, -8};
  // r6 = context (or map value), r7-r9 values; r10-relative slots -8..-32 initialised.
  emit(0xbf, 6, 1, 0, 0);  // r6 = r1
  for (int s = 1; s <= 4; ++s) {
    emit(0x7a, 10, 0, static_cast<int16_t>(-8 * s), 0);  // *(u64 *)(r10 - 8s) = 0
  }
  for (int reg = 7; reg <= 9; ++reg) {
    if (r(2) == 0) {
      emit(0xb7, reg, 0, 0, kConsts[r(std::size(kConsts))]);  // reg = const
    } else {
      emit(0x71, reg, 6, static_cast<int16_t>(r(8)), 0);  // reg = *(u8 *)(r6 + k)
    }
  }
  const size_t blocks = 2 + r(5);
  for (size_t b = 0; b < blocks && p.size() + 12 < max_slots; ++b) {
    const int a = 7 + static_cast<int>(r(3));
    const int c = 7 + static_cast<int>(r(3));
    switch (r(6)) {
      case 0: {  // diamond: if (a OP k) a = k1; else a = k2 (or a copy of c)
        static constexpr uint8_t kJumps[] = {0x15, 0x25, 0x35, 0x45, 0x55, 0x65, 0xa5, 0xb5, 0xc5, 0x16, 0x26};
        emit(kJumps[r(std::size(kJumps))], a, 0, 1, kConsts[r(std::size(kConsts))]);
        emit(0xb7, a, 0, 0, kConsts[r(std::size(kConsts))]);
        break;
      }
      case 1:  // a = c, linking them
        emit(0xbf, a, c, 0, 0);
        break;
      case 2:  // a &= mask, a += k, a <<= k
        emit(r(2) == 0 ? 0x57 : 0x07, a, 0, 0, kConsts[r(std::size(kConsts))]);
        break;
      case 3: {  // spill and fill through a slot
        const auto slot = static_cast<int16_t>(-8 * static_cast<int>(1 + r(4)));
        emit(r(2) == 0 ? 0x7b : 0x63, 10, a, slot, 0);
        emit(0x79, c, 10, slot, 0);
        break;
      }
      case 4: {  // a loop adding to a
        emit(0xb7, 0, 0, 0, 0);
        emit(0x07, a, 0, 0, 1);
        emit(0x07, 0, 0, 0, 1);
        emit(0xa5, 0, 0, -3, static_cast<int32_t>(1 + r(6)));
        break;
      }
      default: {  // a branch comparing two values
        emit(r(2) == 0 ? 0x2d : 0x3d, a, c, 1, 0);
        emit(0xbf, a, c, 0, 0);
        break;
      }
    }
  }
  // The use: r1 = r10 - 32 + a (or r6 + a); load from it.
  const int a = 7 + static_cast<int>(r(3));
  if (r(2) == 0) {
    emit(0xbf, 1, 10, 0, 0);
    emit(0x07, 1, 0, 0, -32);
  } else {
    emit(0xbf, 1, 6, 0, 0);
  }
  emit(0x0f, 1, a, 0, 0);
  emit(0x71, 0, 1, 0, 0);
  emit(0x95, 0, 0, 0, 0);
  std::memcpy(out, p.data(), p.size() * sizeof(Instruction));
  return p.size() * sizeof(Instruction);
}

uint64_t next_random(void* state, uint64_t bound) {
  auto* rng = static_cast<uint64_t*>(state);
  *rng = mix(*rng, 0x1234567);
  return bound == 0 ? 0 : *rng % bound;
}

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size, unsigned int seed) {
  uint64_t rng = mix(seed, size);
  auto next = [&rng](uint64_t bound) {
    rng = mix(rng, 0x1234567);
    return bound == 0 ? 0 : rng % bound;
  };
  if (max_size >= kHeader + 64 * 8 && next(8) == 0) {
    if (size < kHeader) {
      std::memset(data, 0, kHeader);
    }
    data[0] = next(2) == 0 ? 0 : 2;  // raw or kprobe
    data[1] = 64;
    return kHeader + generate_program(next_random, &rng, data + kHeader, (max_size - kHeader) / 8);
  }
  if (size < kHeader + 16 || next(2) == 0) {
    return LLVMFuzzerMutate(data, size, max_size);
  }
  const size_t slots = (size - kHeader) / 8;
  auto* insn = reinterpret_cast<Instruction*>(data + kHeader + 8 * next(slots));
  static constexpr int32_t kImms[] = {0,  1,   -1,  2,    4,    7,     8,         15,        16, 31,  32,   63,
                                      64, 255, 256, 4095, 4096, 65535, INT32_MAX, INT32_MIN, -8, -16, -512, 512};
  static constexpr int16_t kOffs[] = {0, 1, -1, 2, -2, 4, -4, 8, -8, 12, 16, -16, -24, -32, -64, -504, -512, -520, 3};
  switch (next(9)) {
    case 0:
      insn->dst = static_cast<uint8_t>(next(11));
      break;
    case 1:
      insn->src = static_cast<uint8_t>(next(11));
      break;
    case 2:
      insn->offset = kOffs[next(std::size(kOffs))];
      break;
    case 3:
      insn->imm = kImms[next(std::size(kImms))];
      break;
    case 4:
      insn->opcode = static_cast<uint8_t>((insn->opcode & 0x0f) | (next(16) << 4));  // same class and source
      break;
    case 5:
      data[next(kHeader)] = static_cast<uint8_t>(next(256));  // program type, sizes, map shapes
      break;
    case 6:
      if (size + 8 <= max_size) {  // duplicate a slot
        const size_t at = kHeader + 8 * next(slots);
        std::memmove(data + at + 8, data + at, size - at);
        return size + 8;
      }
      break;
    case 7: {  // drop a slot
      const size_t at = kHeader + 8 * next(slots);
      std::memmove(data + at, data + at + 8, size - at - 8);
      return size - 8;
    }
    default: {  // swap two slots
      auto* other = reinterpret_cast<Instruction*>(data + kHeader + 8 * next(slots));
      std::swap(*insn, *other);
      break;
    }
  }
  return size;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ++g_counts.inputs;
  if (size < kHeader + 8) {
    return 0;
  }
  const ProgramType type = kTypes[data[0] % std::size(kTypes)];
  const size_t raw_ctx = le16(data + 1) % 4097;
  const size_t packet_len = data[3];
  uint64_t seed = 0;
  std::memcpy(&seed, data + 4, 4);

  auto program = Program::decode(std::span(data + kHeader, (size - kHeader) / 8 * 8));
  if (!program) {
    return 0;
  }
  ++g_counts.decoded;

  Env env;
  for (size_t m = 0; m < kMaps; ++m) {
    const uint8_t* d = data + 8 + m * 8;
    auto map = std::make_unique<FuzzMap>();
    static constexpr uint32_t kMapTypes[] = {
        BPF_MAP_TYPE_HASH,          BPF_MAP_TYPE_ARRAY,      BPF_MAP_TYPE_PERCPU_ARRAY,     BPF_MAP_TYPE_RINGBUF,
        BPF_MAP_TYPE_QUEUE,         BPF_MAP_TYPE_PROG_ARRAY, BPF_MAP_TYPE_PERF_EVENT_ARRAY, BPF_MAP_TYPE_LRU_HASH,
        BPF_MAP_TYPE_ARRAY_OF_MAPS, BPF_MAP_TYPE_STACK};
    map->info.type = kMapTypes[d[0] % std::size(kMapTypes)];
    map->info.key_size = d[1] % 65;
    map->info.value_size = le16(d + 2) % 1025;
    map->info.max_entries = le16(d + 4) % 65;
    map->info.flags = le16(d + 6) & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG);
    map->info.name = "fuzz" + std::to_string(m + 1);
    if (map->info.type == BPF_MAP_TYPE_RINGBUF) {
      map->info.key_size = map->info.value_size = 0;
      map->info.max_entries = 4096;
      map->values.assign(4096, 0);
    } else {
      map->values.assign(size_t{map->info.value_size} * map->info.max_entries, 0);
    }
    if (map->info.type == BPF_MAP_TYPE_ARRAY_OF_MAPS) {
      map->inner = std::make_unique<FuzzMap>();
      map->inner->info = MapInfo{BPF_MAP_TYPE_HASH, 4, 8, 16, 0, -1, "inner", nullptr};
      map->inner->values.assign(8 * 16, 0);
      map->info.inner = std::make_shared<MapInfo>(map->inner->info);
      env.regions.push_back({reinterpret_cast<uint64_t>(map->inner->values.data()), map->inner->values.size(), true});
    }
    if (!map->values.empty()) {
      const bool writable = (map->info.flags & BPF_F_RDONLY_PROG) == 0;
      env.regions.push_back({reinterpret_cast<uint64_t>(map->values.data()), map->values.size(), writable});
    }
    env.maps[m] = std::move(map);
  }

  VerifyOptions options;
  options.type = type;
  options.helpers = type == ProgramType::kRaw ? &raw_helpers() : &kernel_helpers();
  options.ctx_size = raw_ctx;
  options.limits.max_processed = kProcessed;
  options.maps = [&env](LddwSrc source, int32_t ref) -> Result<MapInfo> {
    const bool by_index = source == LddwSrc::kMapIdx || source == LddwSrc::kMapIdxValue;
    const int64_t slot = by_index ? int64_t{ref} : int64_t{ref} - 1;
    if (slot < 0 || static_cast<size_t>(slot) >= kMaps) {
      return make_error(ErrorCode::kNotFound, "no such map");
    }
    return env.maps[static_cast<size_t>(slot)]->info;
  };
  auto report = verify_program(*program, options);
  if (!report) {
    unsound("verify_program failed on valid options", report.error().message);
  }
  if (!report->accepted) {
    return 0;
  }
  ++g_counts.accepted;
  // Precision tracking may only make pruning cheaper: comparing every scalar must not find an unsafe
  // path it hid. (Without it more paths are explored, so only exhausting a limit may differ.)
  VerifyOptions all_precise = options;
  all_precise.track_precision = false;
  auto reference = verify_program(*program, all_precise);
  if (reference && !reference->accepted && reference->reason.find("too large") == std::string::npos &&
      reference->reason.find("infinite loop") == std::string::npos) {
    unsound("precision tracking accepted what exact pruning refuses", reference->log);
  }

  // The context: random bytes of the type's size; packet programs get real data/data_end pointers.
  std::vector<uint8_t> ctx(type == ProgramType::kRaw ? raw_ctx : 65536);
  uint64_t word = mix(seed, 0);
  for (size_t i = 0; i + 8 <= ctx.size(); i += 8) {
    word ^= word << 13;
    word ^= word >> 7;
    word ^= word << 17;
    std::memcpy(&ctx[i], &word, 8);
  }
  Packet& pkt = packet();
  const uint64_t data_addr = reinterpret_cast<uint64_t>(pkt.base) + Packet::kHeadroom;
  if (type == ProgramType::kXdp) {
    put32(ctx, 0, data_addr);
    put32(ctx, 4, data_addr + packet_len);
    put32(ctx, 8, data_addr - (seed % 32));
  } else if (type == ProgramType::kSchedCls) {
    put32(ctx, 76, data_addr);
    put32(ctx, 80, data_addr + packet_len);
    put32(ctx, 140, data_addr - (seed % 32));
  }
  env.regions.push_back({reinterpret_cast<uint64_t>(pkt.base), Packet::kSize, true});

  EngineOptions engine_options;
  engine_options.helpers = options.helpers;
  engine_options.instruction_budget = kBudget;
  engine_options.regions = env.regions;
  engine_options.resolve_lddw = [&env](const Instruction& first, const Instruction& second,
                                       size_t) -> Result<uint64_t> {
    const auto source = static_cast<LddwSrc>(first.src);
    if (source == LddwSrc::kFunc) {
      return 0;  // only passed to callback helpers, which these helpers do not call
    }
    const bool by_index = source == LddwSrc::kMapIdx || source == LddwSrc::kMapIdxValue;
    const int32_t slot = by_index ? first.imm : first.imm - 1;
    if (slot < 0 || static_cast<size_t>(slot) >= kMaps) {
      unsound("lddw of a map the verifier never resolved", std::to_string(first.imm));
    }
    FuzzMap* map = env.maps[static_cast<size_t>(slot)].get();
    if (source == LddwSrc::kMapValue || source == LddwSrc::kMapIdxValue) {
      return reinterpret_cast<uint64_t>(map->values.data()) + static_cast<uint32_t>(second.imm);
    }
    return reinterpret_cast<uint64_t>(map);
  };
  auto engine = create_engine(EngineKind::kInterpreter, std::move(*program), engine_options);
  if (!engine) {
    unsound("an accepted program could not be loaded", engine.error().message);
  }
  RunArgs args;
  args.ctx = ctx.empty() ? nullptr : ctx.data();
  // Engines drop the check on context accesses the verifier proved, refusing only contexts shorter
  // than ctx_size_required: so the run sees exactly that many context bytes, and any access beyond
  // them is a soundness bug.
  args.ctx_len = std::min<size_t>(ctx.size(), report->ctx_size_required);
  auto r0 = (*engine)->run(args);
  g_counts.ran_ok += r0.ok() ? 1 : 0;
  if (!r0) {
    const ErrorCode code = r0.error().code;
    if (code == ErrorCode::kOutOfBounds || code == ErrorCode::kCallDepth || code == ErrorCode::kBadCall ||
        code == ErrorCode::kBudgetExhausted) {
      unsound(error_code_name(code), r0.error().message + "\n" + disassemble((*engine)->program()));
    }
  }
  return 0;
}
