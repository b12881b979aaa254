#include "vm/jit/jit_combine.hpp"

#include <algorithm>
#include <array>
#include <optional>

namespace bpfrt {
namespace {

constexpr uint32_t kAllRegs = (1u << kNumRegisters) - 1;

constexpr uint32_t bit(int reg) {
  return 1u << reg;
}

// Where one byte of a register's value comes from, as far as this block shows: a known zero, a byte
// of memory read by a load still in force (at `off` from definition `def` of base register `reg`,
// read by the load at a slot whose low bits are `load`), or anything else. Packed in a word, as the
// analysis copies these around for every instruction of every block it plans.
class ByteSrc {
 public:
  constexpr ByteSrc() = default;
  static constexpr ByteSrc zero_byte() { return ByteSrc(0); }
  static ByteSrc memory_byte(uint32_t def, int reg, int32_t off, size_t load) {
    return ByteSrc(uint64_t{def} << 44 | uint64_t(reg & 0xf) << 40 | uint64_t(load & 0xfff) << 28 |
                   (static_cast<uint64_t>(off + (1 << 27)) & 0xfffffff));
  }
  bool zero() const { return bits_ == 0; }
  bool memory() const { return bits_ != 0 && bits_ != kUnknown; }
  uint32_t def() const { return static_cast<uint32_t>(bits_ >> 44); }
  uint8_t reg() const { return static_cast<uint8_t>((bits_ >> 40) & 0xf); }
  uint32_t load() const { return static_cast<uint32_t>((bits_ >> 28) & 0xfff); }
  int32_t off() const { return static_cast<int32_t>(bits_ & 0xfffffff) - (1 << 27); }
  // Definitions are numbered from 1 within a block; below this, every field fits.
  static constexpr uint32_t kMaxDef = (1u << 20) - 1;

 private:
  static constexpr uint64_t kUnknown = ~uint64_t{0};
  constexpr explicit ByteSrc(uint64_t bits) : bits_(bits) {}
  uint64_t bits_ = kUnknown;
};

using Bytes = std::array<ByteSrc, 8>;

constexpr ByteSrc kZeroByte = ByteSrc::zero_byte();
constexpr ByteSrc kUnknownByte{};

// A constant's bytes: zeros are known, other bytes are just "not zero".
Bytes constant_bytes(uint64_t value) {
  Bytes b;
  for (size_t k = 0; k < 8; ++k) {
    b[k] = ((value >> (8 * k)) & 0xff) == 0 ? kZeroByte : kUnknownByte;
  }
  return b;
}

Bytes all(const ByteSrc& s) {
  Bytes b;
  b.fill(s);
  return b;
}

// The register after a 32-bit operation: its low four bytes, zero above.
Bytes low_half(const Bytes& v) {
  Bytes b = v;
  std::fill(b.begin() + 4, b.end(), kZeroByte);
  return b;
}

// v << bits (whole bytes) within `width` bytes; zero above.
Bytes shifted_left(const Bytes& v, uint32_t bytes, size_t width) {
  Bytes b = all(kZeroByte);
  for (size_t k = bytes; k < width; ++k) {
    b[k] = v[k - bytes];
  }
  return b;
}

Bytes shifted_right(const Bytes& v, uint32_t bytes, size_t width) {
  Bytes b = all(kZeroByte);
  for (size_t k = 0; k + bytes < width; ++k) {
    b[k] = v[k + bytes];
  }
  return b;
}

Bytes either(const Bytes& a, const Bytes& c) {  // a | c
  Bytes b;
  for (size_t k = 0; k < 8; ++k) {
    b[k] = a[k].zero() ? c[k] : c[k].zero() ? a[k] : kUnknownByte;
  }
  return b;
}

Bytes masked(const Bytes& a, uint64_t mask) {  // a & mask
  Bytes b;
  for (size_t k = 0; k < 8; ++k) {
    const uint64_t m = (mask >> (8 * k)) & 0xff;
    b[k] = m == 0xff ? a[k] : m == 0 || a[k].zero() ? kZeroByte : kUnknownByte;
  }
  return b;
}

// True if `a & mask` is `a`: every byte the mask would change is already zero.
bool mask_keeps(const Bytes& a, uint64_t mask) {
  for (size_t k = 0; k < 8; ++k) {
    if (((mask >> (8 * k)) & 0xff) != 0xff && !a[k].zero()) {
      return false;
    }
  }
  return true;
}

Bytes byte_swapped(const Bytes& v, size_t width) {
  Bytes b = all(kZeroByte);
  for (size_t k = 0; k < width; ++k) {
    b[k] = v[width - 1 - k];
  }
  return b;
}

// If `v` is whole bytes of memory read through one base, contiguous, in little- or big-endian order,
// 2, 4 or 8 of them, with zeros around: the wide load that produces it.
bool as_wide_load(const Bytes& v, const std::array<uint32_t, kNumRegisters>& defs, SlotRewrite& out) {
  size_t lo = 8, hi = 0;
  for (size_t k = 0; k < 8; ++k) {
    if (!v[k].zero()) {
      lo = std::min(lo, k);
      hi = k;
    }
  }
  if (lo == 8) {
    return false;
  }
  const size_t n = hi - lo + 1;
  if (n != 2 && n != 4 && n != 8) {
    return false;
  }
  const ByteSrc& first = v[lo];
  if (!first.memory() || defs[first.reg()] != first.def()) {
    return false;  // the base register has changed since the loads
  }
  bool little = true, big = true, several_loads = false;
  for (size_t k = 0; k < n; ++k) {
    const ByteSrc& s = v[lo + k];
    if (!s.memory() || s.def() != first.def() || s.reg() != first.reg()) {
      return false;
    }
    little &= s.off() == first.off() + static_cast<int32_t>(k);
    big &= s.off() == first.off() - static_cast<int32_t>(k);
    several_loads |= s.load() != first.load();
  }
  if (!several_loads || (!little && !big)) {
    return false;  // nothing to combine, or the bytes are not in order
  }
  out = SlotRewrite{.kind = SlotRewrite::Kind::kWideLoad,
                    .base = first.reg(),
                    .width = static_cast<uint8_t>(n),
                    .swap = !little,
                    .shift = static_cast<uint8_t>(8 * lo),
                    .off = little ? first.off() : first.off() - static_cast<int32_t>(n - 1)};
  return true;
}

// An `and` with a register known to hold `mask`, as an x86 immediate: a sign-extended imm32 for
// 64-bit masks that fit one, a 32-bit and for masks below 2^32 (zero-extending, as the 64-bit and
// would clear the upper half anyway).
bool as_and_imm(uint64_t mask, bool is32, SlotRewrite& out) {
  const auto as_signed = static_cast<int64_t>(mask);
  if (!is32 && as_signed >= INT32_MIN && as_signed <= INT32_MAX) {
    out = SlotRewrite{.kind = SlotRewrite::Kind::kAndImm, .width = 8, .off = static_cast<int32_t>(as_signed)};
    return true;
  }
  if (is32 || mask <= UINT32_MAX) {
    out = SlotRewrite{
        .kind = SlotRewrite::Kind::kAndImm, .width = 4, .off = static_cast<int32_t>(static_cast<uint32_t>(mask))};
    return true;
  }
  return false;
}

bool is_unsigned_load(Op id) {
  return id == Op::kLdxB || id == Op::kLdxH || id == Op::kLdxW || id == Op::kLdxDw;
}

bool is_call(Form form) {
  return form == Form::kCallHelper || form == Form::kCallLocal || form == Form::kCallKfunc || form == Form::kCallx;
}

}  // namespace

LoadCombiner::LoadCombiner(const Program& program, const ProgramAnalysis& analysis, std::pmr::memory_resource* mem)
    : program_(program), analysis_(analysis), block_(mem), leaders_(mem), live_in_(mem), live_out_(mem), slots_(mem) {
  // Only narrow loads give anything to combine or to prove zero-extended, only lddw constants masks.
  for (size_t i = 0; i < program_.size() && !enabled_; i = next_slot(program_, i)) {
    const Op id = program_.op_at(i)->id;
    enabled_ = id == Op::kLdxB || id == Op::kLdxH || id == Op::kLdxW || id == Op::kLddwImm64;
  }
  whole_frame_exits_ = analysis.has_local_calls || !analysis.callback_targets.empty();
}

uint32_t LoadCombiner::reads(size_t i) const {
  const Form form = program_.op_at(i)->form;
  if (form == Form::kCallLocal || form == Form::kLdAbs || form == Form::kLdInd) {
    return kAllRegs;  // the callee's frame, or the packet through r6
  }
  if (form == Form::kExit) {
    return whole_frame_exits_ ? kAllRegs : bit(0);
  }
  return analysis_.reads[i];
}

// Registers an instruction certainly overwrites (calls: only r0; what r1-r5 hold after one is not
// relied on either way).
uint32_t LoadCombiner::kills(size_t i) const {
  const Form form = program_.op_at(i)->form;
  if (is_call(form) || form == Form::kLdAbs || form == Form::kLdInd) {
    return bit(0);
  }
  return analysis_.writes[i];
}

// Registers live on entry to each block, for the program as written: a superset of what the fast
// copies, which only read less, need.
void LoadCombiner::compute_liveness() {
  block_.assign(program_.size(), 0);
  for (size_t i = 0; i < program_.size(); i = next_slot(program_, i)) {
    if (analysis_.leader[i]) {
      leaders_.push_back(static_cast<uint32_t>(i));
    }
    block_[i] = static_cast<uint32_t>(leaders_.size() - 1);
  }
  const size_t blocks = leaders_.size();
  std::pmr::memory_resource* mem = block_.get_allocator().resource();
  std::pmr::vector<uint16_t> gen(blocks, 0, mem);
  std::pmr::vector<uint16_t> kill(blocks, 0, mem);
  std::pmr::vector<std::array<uint32_t, 2>> succ(blocks, {UINT32_MAX, UINT32_MAX}, mem);
  for (size_t b = 0; b < blocks; ++b) {
    const size_t end = b + 1 < blocks ? leaders_[b + 1] : program_.size();
    uint32_t g = 0, k = 0;
    size_t last = leaders_[b];
    for (size_t i = leaders_[b]; i < end; i = next_slot(program_, i)) {
      g |= reads(i) & ~k;
      k |= kills(i);
      last = i;
    }
    gen[b] = static_cast<uint16_t>(g);
    kill[b] = static_cast<uint16_t>(k);
    const OpInfo& info = *program_.op_at(last);
    const Instruction& insn = program_[last];
    const size_t fall = next_slot(program_, last);
    auto target = [&](int64_t delta) {
      const int64_t t = static_cast<int64_t>(last) + 1 + delta;
      return t >= 0 && static_cast<size_t>(t) < program_.size() ? block_[static_cast<size_t>(t)] : UINT32_MAX;
    };
    switch (info.form) {
      case Form::kJa:
        succ[b] = {target(insn.offset), UINT32_MAX};
        break;
      case Form::kJa32:
        succ[b] = {target(insn.imm), UINT32_MAX};
        break;
      case Form::kJmpImm:
      case Form::kJmpReg:
        succ[b] = {target(insn.offset), fall < program_.size() ? block_[fall] : UINT32_MAX};
        break;
      case Form::kExit:
        break;
      default:
        succ[b] = {fall < program_.size() ? block_[fall] : UINT32_MAX, UINT32_MAX};
        break;
    }
  }
  live_in_.assign(blocks, 0);
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t b = blocks; b-- > 0;) {
      uint32_t out = 0;
      for (const uint32_t s : succ[b]) {
        out |= s == UINT32_MAX ? 0 : live_in_[s];
      }
      const auto in = static_cast<uint16_t>(gen[b] | (out & ~kill[b]));
      changed |= in != live_in_[b];
      live_in_[b] = in;
    }
  }
  live_out_.assign(blocks, 0);
  for (size_t b = 0; b < blocks; ++b) {
    for (const uint32_t s : succ[b]) {
      live_out_[b] |= s == UINT32_MAX ? 0 : live_in_[s];
    }
  }
}

// mov dst, src; and dst, M; rsh dst, s -- with M the bits s..31 -- is (u32)src >> s: the move
// becomes a 32-bit one and the and goes. Looks at the two slots before the shift at `slot`.
bool LoadCombiner::shift_out_mask(size_t slot, uint32_t shift, std::span<SlotRewrite> out) const {
  if (slots_.size() < 3 || shift == 0 || shift >= 32) {
    return false;
  }
  const size_t and_slot = slots_[slots_.size() - 2];
  const size_t mov_slot = slots_[slots_.size() - 3];
  const Instruction& sh = program_[slot];
  const Instruction& mv = program_[mov_slot];
  const Op and_op = program_.op_at(and_slot)->id;
  if (program_.op_at(mov_slot)->id != Op::kMov64Reg || out[mov_slot].kind != SlotRewrite::Kind::kAsIs ||
      mv.dst != sh.dst || mv.src == sh.dst || program_[and_slot].dst != sh.dst) {
    return false;
  }
  // The mask has bit 31 set, so it is never an and's own (sign-extended) immediate: it came from a
  // register, and the and is already planned as a 32-bit and with an immediate.
  const SlotRewrite& masking = out[and_slot];
  if (and_op != Op::kAnd64Reg || masking.kind != SlotRewrite::Kind::kAndImm || masking.width != 4 ||
      static_cast<uint32_t>(masking.off) != (uint32_t{0xffffffff} >> shift) << shift) {
    return false;
  }
  out[mov_slot] = SlotRewrite{.kind = SlotRewrite::Kind::kMov32};
  out[and_slot] = SlotRewrite{.kind = SlotRewrite::Kind::kDrop};  // what it clears, the shift drops
  return true;
}

// True if the block has anything to rewrite: two narrow loads to combine, a narrow load whose
// zero-extension an and or mov32 may repeat, or an lddw constant and an and to take it.
bool LoadCombiner::worth_planning(size_t leader) const {
  int narrow = 0;
  bool masks = false, lddw = false, and_reg = false;
  const uint32_t count = analysis_.block_insns[leader];
  size_t i = leader;
  for (uint32_t n = 0; n < count; ++n, i = next_slot(program_, i)) {
    switch (program_.op_at(i)->id) {
      case Op::kLdxB:
      case Op::kLdxH:
      case Op::kLdxW:
        ++narrow;
        break;
      case Op::kAnd64Imm:
      case Op::kAnd32Imm:
      case Op::kMov32Reg:
        masks = true;
        break;
      case Op::kAnd64Reg:
      case Op::kAnd32Reg:
        and_reg = true;
        break;
      case Op::kLddwImm64:
        lddw = true;
        break;
      default:
        break;
    }
  }
  return narrow >= 2 || (narrow == 1 && masks) || (lddw && and_reg);
}

bool LoadCombiner::plan_block(size_t leader, std::span<const uint8_t> unchecked, std::span<SlotRewrite> out) {
  if (!enabled_ || !worth_planning(leader)) {
    return false;  // the block's slots keep kAsIs
  }
  // Byte sources per register; only registers in `tracked` hold anything but "unknown".
  std::array<Bytes, kNumRegisters> regs;
  uint32_t tracked = 0;
  auto bytes_of = [&](int r) { return (tracked & bit(r)) != 0 ? regs[static_cast<size_t>(r)] : all(kUnknownByte); };
  std::array<uint32_t, kNumRegisters> defs{};
  uint32_t next_def = 1;
  for (auto& d : defs) {
    d = next_def++;
  }
  uint32_t known = 0;  // bit per register holding a known constant, in consts
  std::array<uint64_t, kNumRegisters> consts{};
  auto forget_memory = [&] {
    for (int r = 0; r < kNumRegisters; ++r) {
      if ((tracked & bit(r)) != 0) {
        for (ByteSrc& b : regs[static_cast<size_t>(r)]) {
          b = b.memory() ? kUnknownByte : b;
        }
      }
    }
  };
  bool narrowed = false, any = false;  // narrowed: some instruction now reads fewer registers
  slots_.clear();
  const uint32_t count = analysis_.block_insns[leader];
  size_t i = leader;
  for (uint32_t n = 0; n < count; ++n, i = next_slot(program_, i)) {
    slots_.push_back(static_cast<uint32_t>(i));
    out[i] = SlotRewrite{};
    if (next_def >= ByteSrc::kMaxDef - kNumRegisters) {
      tracked = 0;  // a huge block: start numbering afresh, forgetting every byte source
      next_def = 1;
      for (auto& d : defs) {
        d = next_def++;
      }
    }
    const OpInfo& info = *program_.op_at(i);
    const Instruction& insn = program_[i];
    const bool is32 = is_alu32(info);
    const size_t width = is32 ? 4 : 8;
    bool sets_dst = false;
    Bytes value = all(kUnknownByte);
    std::optional<uint64_t> constant;  // dst's value after the instruction, if known
    switch (info.form) {
      case Form::kLoad:
        sets_dst = true;
        if (is_unsigned_load(info.id)) {
          const auto w = static_cast<size_t>(access_size(info));
          for (size_t k = 0; k < 8; ++k) {
            value[k] = k >= w ? kZeroByte
                       : unchecked[i] != 0
                           ? ByteSrc::memory_byte(defs[insn.src], insn.src, insn.offset + static_cast<int32_t>(k), i)
                           : kUnknownByte;
          }
        }
        break;
      case Form::kLddw:
        sets_dst = true;
        if (info.id == Op::kLddwImm64) {
          constant = static_cast<uint32_t>(insn.imm) | uint64_t{static_cast<uint32_t>(program_[i + 1].imm)} << 32;
          value = constant_bytes(*constant);
        }
        break;
      case Form::kAluImm:
      case Form::kAluReg: {
        sets_dst = true;
        const bool imm = info.form == Form::kAluImm;
        const bool src_known = imm || (known & bit(insn.src)) != 0;
        const uint64_t k = !imm   ? consts[insn.src]
                           : is32 ? static_cast<uint32_t>(insn.imm)
                                  : static_cast<uint64_t>(static_cast<int64_t>(insn.imm));
        const uint32_t shift = static_cast<uint32_t>(insn.imm) & (is32 ? 31 : 63);
        switch (info.id) {
          case Op::kMov64Imm:
          case Op::kMov32Imm:
          case Op::kMov64Reg:
          case Op::kMov32Reg:
            value = imm ? constant_bytes(k) : bytes_of(insn.src);
            if (src_known) {
              constant = is32 ? static_cast<uint32_t>(k) : k;
            }
            if (info.id == Op::kMov32Reg && insn.src == insn.dst && mask_keeps(value, 0xffffffff)) {
              out[i].kind = SlotRewrite::Kind::kDrop;  // zero-extends what is already zero-extended
              any = true;
            }
            break;
          case Op::kOr64Imm:
          case Op::kOr32Imm:
          case Op::kOr64Reg:
          case Op::kOr32Reg:
            value = either(bytes_of(insn.dst), imm ? constant_bytes(k) : bytes_of(insn.src));
            break;
          case Op::kAnd64Imm:
          case Op::kAnd32Imm:
          case Op::kAnd64Reg:
          case Op::kAnd32Reg: {
            const Bytes dst = bytes_of(insn.dst);
            if (!src_known) {
              const Bytes src = bytes_of(insn.src);
              for (size_t b = 0; b < 8; ++b) {
                value[b] = dst[b].zero() || src[b].zero() ? kZeroByte : kUnknownByte;
              }
              break;
            }
            const uint64_t mask = is32 ? static_cast<uint32_t>(k) : k;
            value = masked(dst, mask);
            if (mask_keeps(dst, mask)) {
              out[i].kind = SlotRewrite::Kind::kDrop;  // clears only bytes that are zero already
              any = true;
            } else if (!imm) {
              narrowed |= as_and_imm(mask, is32, out[i]);
            }
            break;
          }
          case Op::kLsh64Imm:
          case Op::kLsh32Imm:
            if (shift % 8 == 0) {
              value = shifted_left(bytes_of(insn.dst), shift / 8, width);
            }
            break;
          case Op::kRsh64Imm:
          case Op::kRsh32Imm:
            if (shift % 8 == 0) {
              const Bytes dst = bytes_of(insn.dst);
              value = shifted_right(is32 ? low_half(dst) : dst, shift / 8, width);
            }
            if (!is32 && shift_out_mask(i, shift, out)) {
              any = true;
            }
            break;
          default:
            break;
        }
        if (is32) {
          value = low_half(value);
        }
        if ((info.id == Op::kOr64Reg || info.id == Op::kOr32Reg) && as_wide_load(value, defs, out[i])) {
          narrowed = true;
        }
        any |= narrowed;
        break;
      }
      case Form::kAluUnary:
        sets_dst = true;
        value = is32 ? low_half(value) : value;
        break;
      case Form::kEndian: {
        sets_dst = true;
        const auto bytes = static_cast<size_t>(insn.imm) / 8;
        const Bytes dst = bytes_of(insn.dst);
        value = info.id == Op::kLe16 || info.id == Op::kLe32 || info.id == Op::kLe64 ? shifted_left(dst, 0, bytes)
                                                                                     : byte_swapped(dst, bytes);
        break;
      }
      case Form::kStoreImm:
      case Form::kStoreReg:
      case Form::kAtomic:
      case Form::kCallHelper:
      case Form::kCallLocal:
      case Form::kCallKfunc:
      case Form::kCallx:
      case Form::kLdAbs:
      case Form::kLdInd:
        forget_memory();  // memory may have changed under the loads seen so far
        break;
      default:
        break;
    }
    // Every register the instruction writes gets a new definition: loads through its old value no
    // longer combine with loads through the new one.
    uint32_t written = analysis_.writes[i] | (is_call(info.form) ? 0x3fu : 0u);
    known &= ~written;
    tracked &= ~written;
    for (; written != 0; written &= written - 1) {
      defs[static_cast<size_t>(__builtin_ctz(written))] = next_def++;
    }
    if (sets_dst) {
      regs[insn.dst] = value;
      tracked |= bit(insn.dst);
      if (constant) {
        known |= bit(insn.dst);
        consts[insn.dst] = *constant;
      }
    }
  }
  if (narrowed) {
    drop_dead(leader, unchecked, out);
  }
  for (const uint32_t slot : slots_) {
    combined_ += out[slot].kind == SlotRewrite::Kind::kWideLoad ? 1 : 0;
    dropped_ += out[slot].kind == SlotRewrite::Kind::kDrop ? 1 : 0;
  }
  return any;
}

// Backwards through the block: an instruction without side effects whose result nobody reads is
// dropped (the loads a wide load replaced, the shifts and ors that assembled their bytes).
void LoadCombiner::drop_dead(size_t leader, std::span<const uint8_t> unchecked, std::span<SlotRewrite> out) {
  if (leaders_.empty()) {
    compute_liveness();
  }
  uint32_t live = live_out_[block_[leader]];
  for (size_t k = slots_.size(); k-- > 0;) {
    const size_t i = slots_[k];
    SlotRewrite& r = out[i];
    if (r.kind == SlotRewrite::Kind::kDrop) {
      continue;  // leaves its register as it was
    }
    const OpInfo& info = *program_.op_at(i);
    const bool pure = info.form == Form::kAluImm || info.form == Form::kAluReg || info.form == Form::kAluUnary ||
                      info.form == Form::kEndian || info.id == Op::kLddwImm64 ||
                      (info.form == Form::kLoad && unchecked[i] != 0);
    if (pure && (analysis_.writes[i] & live) == 0) {
      r.kind = SlotRewrite::Kind::kDrop;
      continue;
    }
    if (r.kind == SlotRewrite::Kind::kWideLoad) {
      live = (live & ~bit(program_[i].dst)) | bit(r.base);
    } else if (r.kind == SlotRewrite::Kind::kAndImm) {
      live |= bit(program_[i].dst);  // reads dst, not the register that held the mask
    } else {
      live = (live & ~kills(i)) | reads(i);
    }
  }
}

}  // namespace bpfrt
