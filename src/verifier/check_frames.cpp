// Frames: callbacks entered from helper calls (bpf_loop, for_each_map_elem), bpf-to-bpf calls, and
// exits, from a subprogram, from a callback back to its helper call, and from the program.
#include <fmt/format.h>

#include "verifier/verifier_env.hpp"

namespace bpfrt::verifier {

// The two helpers whose callbacks the verifier knows how to enter.
constexpr int32_t kFuncForEachMapElem = 164;
constexpr int32_t kFuncLoop = 181;

Result<bool> Verifier::check_callback(const HelperEntry& helper, CallMeta& meta) {
  if (cur_.curframe() + 1 >= limits_.max_call_frames) {
    return refuse(fmt::format("the call stack of {} frames is too deep !", cur_.curframe() + 2));
  }
  // The state in which the helper calls the callback (once more). The caller's registers stay as they
  // are at the call: when the callback returns, the call instruction is verified again.
  State enter = cur_;
  Frame& caller = enter.cur();
  Frame callee;
  callee.callsite = cur_.insn;
  callee.subprog = meta.callback;
  callee.in_callback = true;
  callee.refs_at_entry = enter.refs.size();
  callee.regs[10] = RegState::pointer(RegType::kStack);
  callee.regs[10].frameno = static_cast<int16_t>(enter.frames.size());
  if (helper.id == kFuncLoop) {
    callee.regs[1] = RegState::unknown();  // the iteration index
    callee.regs[2] = caller.regs[3];       // the callback context
  } else if (helper.id == kFuncForEachMapElem) {
    callee.regs[1] = caller.regs[1];
    callee.regs[2] = RegState::pointer(RegType::kMapKey);
    callee.regs[2].map = meta.map;
    callee.regs[2].read_only = true;
    callee.regs[3] = RegState::pointer(RegType::kMapValue);
    callee.regs[3].map = meta.map;
    callee.regs[4] = caller.regs[3];
  } else {
    return refuse(
        fmt::format("helper {}#{} takes a callback the verifier does not know how to call", helper.name, helper.id));
  }
  enter.frames.push_back(std::move(callee));
  enter.insn = static_cast<int>(cfg_.subprogs[static_cast<size_t>(meta.callback)].start);
  push_branch(std::move(enter), cur_.insn);
  return true;
}

Result<bool> Verifier::check_local_call(const Instruction& insn) {
  (void)insn;
  const auto site = static_cast<size_t>(cur_.insn);
  const size_t target = branch_target(program_, site);
  if (cur_.curframe() + 1 >= limits_.max_call_frames) {
    return refuse(fmt::format("the call stack of {} frames is too deep !", cur_.curframe() + 2));
  }
  if (cur_.active_lock_map >= 0) {
    return refuse("function calls are not allowed while holding a lock");
  }
  Frame callee;
  callee.callsite = cur_.insn;
  callee.subprog = cfg_.subprog_starting_at(target);
  for (int r = 1; r <= 5; ++r) {
    callee.regs[static_cast<size_t>(r)] = cur_.reg(r);  // arguments; unread ones need not be initialised
  }
  callee.regs[10] = RegState::pointer(RegType::kStack);
  callee.regs[10].frameno = static_cast<int16_t>(cur_.frames.size());
  cur_.frames.push_back(std::move(callee));
  cur_.insn = static_cast<int>(target);
  return true;
}

Result<bool> Verifier::check_exit() {
  BPFRT_TRY(check_reg_read(0));
  const RegState r0 = cur_.reg(0);
  if (cur_.active_lock_map >= 0) {
    return refuse("bpf_spin_unlock is missing");
  }
  if (cur_.curframe() > 0) {
    const Frame& callee = cur_.cur();
    if (callee.in_callback) {
      mark_precise(0);
      if (r0.type != RegType::kScalar || r0.var.r64.umax > 1) {
        return refuse(
            fmt::format("At callback return the register R0 has {} should have been in [0, 1]", reg_text(r0)));
      }
      if (cur_.refs.size() > callee.refs_at_entry) {
        const RefState& ref = cur_.refs.back();
        return refuse(fmt::format("Unreleased reference id={} alloc_insn={}", ref.id, ref.insn));
      }
      if (cur_.refs.size() < callee.refs_at_entry) {
        return refuse("a callback may not release references its caller holds");
      }
    } else if (r0.type != RegType::kScalar) {
      return refuse(fmt::format("At subprogram exit the register R0 is not a scalar value ({})", reg_text(r0)));
    }
    const int callsite = callee.callsite;
    const bool callback = callee.in_callback;
    const int frameno = cur_.curframe();
    cur_.frames.pop_back();
    invalidate_frame_pointers(frameno);
    if (callback) {
      cur_.history.back().flags |= kHistCallbackExit;
      cur_.insn = callsite;  // the helper may call the callback again, or return
      cur_.returning_from_callback = true;
      return true;
    }
    cur_.reg(0) = r0;
    for (int r = 1; r <= 5; ++r) {
      cur_.reg(r) = RegState{};
    }
    cur_.insn = callsite + 1;
    return true;
  }
  if (!cur_.refs.empty()) {
    const RefState& ref = cur_.refs.front();
    return refuse(fmt::format("Unreleased reference id={} alloc_insn={}", ref.id, ref.insn));
  }
  if (r0.is_pointer() && !allow_ptr_leaks()) {
    return refuse("R0 leaks addr as return value");
  }
  std::optional<ReturnRange> wanted = type_.return_range;
  if (options_.return_range) {
    wanted = ReturnRange{options_.return_range->first, options_.return_range->second};
  }
  if (wanted) {
    mark_precise(0);
    const ReturnRange range = *wanted;
    if (r0.type != RegType::kScalar || r0.var.r64.smin < range.min || r0.var.r64.smax > range.max) {
      return refuse(fmt::format("At program exit the register R0 has {} should have been in [{}, {}]", reg_text(r0),
                                range.min, range.max));
    }
  }
  return false;
}

}  // namespace bpfrt::verifier
