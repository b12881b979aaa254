// The verifier proper: a depth-first walk over every path of the program with an abstract State,
// checking each instruction against it, storing states at prune points and cutting paths that reach a
// state already proven safe. One object per verify_program call.
//
// The member functions live in several files by concern: verifier.cpp (the walk, entry state,
// report), check_alu.cpp, check_mem.cpp (loads, stores, stack, context, packet, map values),
// check_jmp.cpp (branches, null checks, packet bounds), check_call.cpp (helpers, local calls, exit),
// prune.cpp (state comparison) and log.cpp (kernel-style text).
// REQUIRES: single-threaded use.
#pragma once

#include <array>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bpfrt/verifier.hpp"

#include "verifier/cfg.hpp"
#include "verifier/program_types.hpp"
#include "verifier/state.hpp"

namespace bpfrt::verifier {

// A state stored at a prune point. `branches` counts the paths below it still being explored; at 0
// everything reachable from it was proven safe and it may be used to prune.
struct ExploredState {
  State state;
  int branches = 1;
  uint32_t hits = 0;
  uint32_t misses = 0;
  uint64_t hash = 0;         // of what an exact comparison looks at: a cheap first test for loops
  bool all_precise = false;  // every scalar here and in every ancestor is precise
};

enum class AccessType : uint8_t { kRead, kWrite, kAtomic };

// What the arguments of one helper call established.
struct CallMeta {
  int map = -1;        // from a kConstMapPtr argument
  int mem_regno = -1;  // a memory argument waiting for its size (-2: it was NULL)
  bool mem_write = false;
  uint64_t alloc_size = 0;
  uint32_t release_ref = 0;
  int callback = -1;  // subprogram passed as kPtrToFunc
  int lock_map = -1;  // kPtrToSpinLock
  uint32_t lock_id = 0;
};

struct IdMap;  // prune.cpp

// How two states are compared: exactly (loop detection), by inclusion honouring precision marks
// (pruning), or by inclusion of every scalar (callback loops, where marks may still be incomplete).
enum class Compare : uint8_t { kExact, kRange, kRangeAllPrecise };

// Registers and stack slots whose values must be known precisely, per frame, while walking back.
struct Backtrack {
  std::array<uint16_t, 8> regs{};
  std::array<uint64_t, 8> slots{};
  bool empty() const {
    for (size_t f = 0; f < regs.size(); ++f) {
      if (regs[f] != 0 || slots[f] != 0) {
        return false;
      }
    }
    return true;
  }
};

// Where a pointer's target lies for an access check.
struct Region {
  const char* name;       // "map value"
  const char* size_name;  // "value_size"
  int64_t size;           // accessible bytes from the region's base
};

class Verifier {
 public:
  Verifier(const Program& program, const VerifyOptions& options, const ProgramTypeInfo& type);
  VerifierReport run();

 private:
  // ---- the walk (verifier.cpp)
  Status prepare();
  State initial_state() const;
  Status do_check();
  // Verifies the instruction at cur_.insn; returns false when the path ends there.
  Result<bool> step();
  void push_branch(State state, int from);
  bool pop_branch();
  void finish_path(const State& state);
  Status finalize();
  uint32_t new_id() { return ++next_id_; }

  // ---- registers (verifier.cpp)
  Status check_reg_read(int regno) const;
  Error refuse(std::string reason) const;
  void mark_unknown(RegState& reg) const { reg = RegState::unknown(); }
  bool allow_ptr_leaks() const { return allow_ptr_leaks_; }

  // ---- ALU (check_alu.cpp)
  Status check_alu(const OpInfo& info, const Instruction& insn);
  Status check_mov(const OpInfo& info, const Instruction& insn);
  Status check_pointer_alu(const OpInfo& info, const Instruction& insn, RegState& dst, const RegState& ptr,
                           const RegState& off, bool ptr_is_dst);

  // ---- memory (check_mem.cpp)
  Status check_load(const OpInfo& info, const Instruction& insn);
  Status check_store(const OpInfo& info, const Instruction& insn);
  Status check_atomic(const OpInfo& info, const Instruction& insn);
  // Checks an access of `size` bytes at reg(regno) + off; for reads fills *loaded with the value read.
  Status check_mem_access(int regno, int32_t off, int size, AccessType type, const RegState* stored, RegState* loaded,
                          bool sign_extend);
  Status check_ctx_access(const RegState& reg, int regno, int64_t off, int size, AccessType type,
                          const RegState* stored, RegState* loaded, bool sign_extend);
  Status check_stack_access(const RegState& reg, int regno, int64_t off, int size, AccessType type,
                            const RegState* stored, RegState* loaded, bool sign_extend);
  Status check_region_access(const RegState& reg, int regno, int64_t off, int size, const Region& region);
  // The bytes [lo, hi) relative to a frame pointer a stack access may touch.
  struct StackSpan {
    int64_t lo;
    int64_t hi;
    bool variable;
    int64_t fixed;  // the constant part of the offset, for messages
    int size;       // of one access
  };
  Status read_stack(const Frame& frame, const RegState& reg, int regno, const StackSpan& span, AccessType type,
                    RegState* loaded, bool sign_extend);
  Status write_stack(Frame& frame, const RegState& reg, int regno, const StackSpan& span, AccessType type,
                     const RegState* stored);
  Status check_packet_access(const RegState& reg, int regno, int64_t off, int size, AccessType type);
  // Helper memory arguments: [reg, reg + size) must be accessible (readable and initialised for
  // reads, writable for writes); stack bytes written become initialised.
  Status check_helper_mem(int regno, uint64_t min_size, uint64_t max_size, bool write, bool zero_size_ok);
  void note_access(AccessRegion region, bool proven);
  Status check_lddw(const Instruction& insn);
  Status check_legacy_packet_load(const OpInfo& info, const Instruction& insn);
  int map_index(LddwSrc source, int32_t ref, Error& error);

  // ---- branches (check_jmp.cpp)
  Result<bool> check_cond_jump(const OpInfo& info, const Instruction& insn);
  static void mark_null_checked(State& state, uint32_t id, bool is_null);
  // Records the scalars linked to a jump's operands on its history entry; true if one is precise.
  bool record_linked_scalars(const Instruction& insn, bool reg_form);
  static void propagate_linked_scalars(State& state, const RegState& known);

  // ---- calls and exit (check_call.cpp)
  Result<bool> check_helper_call(const Instruction& insn, int32_t helper_id);
  Status check_helper_args(const HelperEntry& helper, CallMeta& meta);
  Status check_map_helper(int32_t helper_id, const MapInfo& map) const;
  Result<bool> check_callback(const HelperEntry& helper, CallMeta& meta);
  Result<bool> check_local_call(const Instruction& insn);
  Result<bool> check_exit();
  Status release_reference(uint32_t ref_obj_id);
  void clear_packet_pointers();
  void invalidate_frame_pointers(int frameno);

  // ---- pruning (prune.cpp)
  Result<bool> is_state_visited();
  bool states_equal(const State& old_state, const State& cur, Compare mode) const;
  bool frames_equal(const Frame& old_frame, const Frame& cur, uint16_t live, IdMap& ids, Compare mode) const;
  bool regsafe(const RegState& old_reg, const RegState& cur, IdMap& ids, Compare mode) const;

  // ---- precision (precision.cpp)
  // Marks register `regno` of the current frame precise in the current state and, walking back along
  // the path, whatever its value came from in every stored ancestor.
  void mark_precise(int regno);
  void mark_precise(Backtrack bt);
  // After pruning against `old`: what old's continuation relied on, this path relies on too.
  void propagate_precision(const State& old);
  // Records, on the current instruction, the stack slot a spill or fill used.
  void note_spill_slot(int frameno, int offset);
  bool backtrack_insn(const HistEntry& e, const State& state, Backtrack& bt) const;
  void apply_marks(State& state, Backtrack& bt, bool drop_known) const;
  void mark_all_precise();
  static void forget_precision(State& state);
  // Makes cur_ more general where it differs from `old` in scalar values (callback loops only).
  void widen_scalars(const State& old);
  // Equal for states that compare exactly equal (ids may differ by renaming).
  uint64_t state_hash(const State& state) const;
  uint16_t live_regs(const State& state, size_t frame) const;

  // ---- log text (log.cpp)
  std::string reg_text(const RegState& reg) const;
  std::string state_text(const State& state) const;
  std::string insn_line(size_t index) const;
  void log(const std::string& line);

  const Program& program_;
  const VerifyOptions& options_;
  const ProgramTypeInfo& type_;
  const VerifierLimits& limits_;
  bool allow_ptr_leaks_ = true;
  size_t ctx_size_ = 0;

  Cfg cfg_;
  std::vector<MapInfo> maps_;
  std::map<std::pair<int, int32_t>, int> map_by_ref_;

  State cur_;
  struct Pending {
    State state;
    int from;
  };
  std::vector<Pending> pending_;
  std::vector<std::vector<std::unique_ptr<ExploredState>>> explored_;
  uint64_t live_states_ = 0;
  uint64_t insns_since_state_ = 0;
  uint64_t jumps_since_state_ = 0;
  uint32_t next_id_ = 0;
  mutable std::vector<std::pair<uint32_t, uint32_t>> id_scratch_;  // reused by state comparisons

  // Facts per instruction slot.
  std::vector<bool> visited_;
  std::vector<uint8_t> regions_;  // bit per AccessRegion
  std::vector<bool> unproven_;    // some visit could not prove the access in a region that stays fixed
  std::vector<uint32_t> subprog_stack_depth_;
  std::vector<std::vector<int>> callees_;  // per subprog, subprogs it calls (for the combined stack depth)
  uint32_t ctx_size_required_ = 0;
  uint32_t combined_stack_depth_ = 0;
  bool uses_tail_calls_ = false;
  std::vector<bool> callback_insn_;  // helper calls that take a callback: they loop back on themselves
  bool has_ld_abs_ = false;

  VerifierStats stats_;
  std::string log_;
  bool log_truncated_ = false;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace bpfrt::verifier
