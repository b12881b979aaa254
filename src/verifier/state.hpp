// The abstract machine state the verifier tracks along one path: per call frame the eleven registers
// and the stack (byte by byte: never written, written with an unknown value, known zero, or part of a
// spilled register), plus the references the path holds (ring-buffer reservations) and the spin lock.
// Thread-safety: plain values, owned by one verification.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "verifier/scalar.hpp"

namespace bpfrt::verifier {

enum class RegType : uint8_t {
  kNotInit,     // never written (or clobbered by a call): reading it is an error
  kScalar,      // a number
  kCtx,         // the program's context
  kStack,       // the stack of frame `frameno`, offset relative to its frame pointer
  kMapPtr,      // a map (lddw map_fd/map_idx)
  kMapValue,    // a value of map `map`
  kMapKey,      // a key of map `map` (read-only; for_each_map_elem callbacks)
  kPacket,      // packet data (data + offset)
  kPacketMeta,  // packet metadata (data_meta + offset)
  kPacketEnd,   // data_end: only comparable
  kMem,         // `mem_size` bytes returned by a helper (ring-buffer reservation)
  kFunc,        // a subprogram (lddw func), only passed to callback helpers
};

const char* reg_type_name(RegType type, bool maybe_null);

enum class PktEndMark : uint8_t { kNone, kAtEnd, kBeyondEnd };

struct RegState {
  RegType type = RegType::kNotInit;
  bool maybe_null = false;
  bool read_only = false;   // map values of BPF_F_RDONLY_PROG maps, map keys
  int32_t off = 0;          // fixed part of a pointer's offset
  Scalar var;               // a scalar's value, or the variable part of a pointer's offset
  uint32_t id = 0;          // shared by copies: null checks, packet ranges, linked scalars
  uint32_t ref_obj_id = 0;  // the reference this pointer belongs to (0: none)
  uint32_t range = 0;       // packet pointers: bytes from (base + var) known to be before data_end
  // Packet pointers (this register, not its copies by id): a comparison proved it lies at or beyond
  // data_end (the kernel's AT_PKT_END / BEYOND_PKT_END), so comparing it with data_end again has one
  // outcome. Reset by pointer arithmetic.
  PktEndMark end_mark = PktEndMark::kNone;
  uint32_t mem_size = 0;  // kMem
  int16_t frameno = 0;    // kStack
  int32_t map = -1;       // kMapPtr/kMapValue/kMapKey: index into the verifier's map table
  int32_t subprog = -1;   // kFunc
  // Scalars only: some check already relied on this exact range, so pruning must compare it. An
  // imprecise scalar matches any scalar (see precision.cpp).
  bool precise = false;

  bool is_pointer() const { return type != RegType::kNotInit && type != RegType::kScalar; }
  bool is_packet() const { return type == RegType::kPacket || type == RegType::kPacketMeta; }
  bool is_const_scalar() const { return type == RegType::kScalar && var.is_const(); }

  static RegState scalar(const Scalar& value);
  static RegState unknown() { return scalar(Scalar::unknown()); }
  static RegState constant(uint64_t v) { return scalar(Scalar::constant(v)); }
  static RegState zero_extended_unknown() { return scalar(Scalar::zero_extended(4)); }
  static RegState pointer(RegType type);

  friend bool operator==(const RegState&, const RegState&) = default;
};

// What one stack byte holds.
enum class SlotType : uint8_t { kInvalid, kMisc, kZero, kSpill };

// 8 bytes of stack: slot i of a frame covers [fp - 8*(i+1), fp - 8*i).
struct StackSlot {
  std::array<SlotType, 8> bytes{};  // bytes[j] is at fp - 8*(i+1) + j
  RegState spilled;                 // valid when all bytes are kSpill

  bool is_spill() const { return bytes[0] == SlotType::kSpill; }
  friend bool operator==(const StackSlot&, const StackSlot&) = default;
};

struct Frame {
  std::array<RegState, 11> regs;
  std::vector<StackSlot> stack;
  int callsite = -1;  // index of the call that created this frame (-1 for the main frame)
  int subprog = 0;
  // A callback frame (bpf_loop, for_each_map_elem): on exit, control returns to the helper call.
  bool in_callback = false;
  size_t refs_at_entry = 0;  // callback frames must return holding exactly these references

  // Stack slot holding byte `off` (negative, relative to the frame pointer); grows the stack.
  StackSlot& slot_at(int off);
  const StackSlot* find_slot(int off) const;
  SlotType byte_at(int off) const;
};

struct RefState {
  uint32_t id = 0;
  int insn = 0;  // the instruction that acquired it
  friend bool operator==(const RefState&, const RefState&) = default;
};

struct ExploredState;

// One instruction executed on a path, for walking back when precision is needed (precision.cpp).
struct HistEntry {
  int32_t insn = 0;
  int8_t frame = 0;         // the frame executing it
  int8_t stack_frame = -1;  // a full register spill or fill: the frame whose stack it used...
  int16_t slot = 0;         // ...and the 8-byte slot
  uint16_t linked = 0;      // conditional jumps: 1 + index into State::linked
  uint8_t flags = 0;
};
inline constexpr uint8_t kHistCallbackExit = 1;  // an exit from a callback frame back to its helper call

// Registers and spilled slots refined together by a conditional jump (linked scalars), encoded as
// frame << 24 | is_slot << 16 | register or slot index.
using LinkedSet = std::vector<uint32_t>;

struct State {
  std::vector<Frame> frames;
  std::vector<RefState> refs;
  // The spin lock held: the id of the map-value pointer it was taken through (0: none).
  uint32_t active_lock_id = 0;
  int32_t active_lock_map = -1;
  int insn = 0;
  // Set when a callback frame returns to its helper call, until that call is checked again.
  bool returning_from_callback = false;
  // The last stored state on this path, for counting unfinished branches and walking back.
  ExploredState* parent = nullptr;
  // What ran since `parent` was stored.
  std::vector<HistEntry> history;
  std::vector<LinkedSet> linked;

  Frame& cur() { return frames.back(); }
  const Frame& cur() const { return frames.back(); }
  RegState& reg(int r) { return frames.back().regs[static_cast<size_t>(r)]; }
  const RegState& reg(int r) const { return frames.back().regs[static_cast<size_t>(r)]; }
  int curframe() const { return static_cast<int>(frames.size()) - 1; }

  // Every register and spilled register of every frame.
  template <class F>
  void for_each_reg(F&& f) {
    for (Frame& frame : frames) {
      for (RegState& r : frame.regs) {
        f(r);
      }
      for (StackSlot& slot : frame.stack) {
        if (slot.is_spill()) {
          f(slot.spilled);
        }
      }
    }
  }
};

}  // namespace bpfrt::verifier
