// DWARF call-frame information for JIT'd code, so unwinders (bpf_get_stack's user stacks, debuggers'
// backtraces through _Unwind_Backtrace) walk through JIT frames instead of stopping at them.
//
// Every JIT frame (the main entry and the callback entry) pushes callee-saved registers, reserves a
// fixed block and sets r12 to its bottom; r12 stays put for the rest of the run, through local calls,
// which only push below it. So one rule describes every instruction a helper can be called from:
// CFA = r12 + frame size, the return address just below the CFA, the pushed registers below that.
// The prologue is described push by push. The code is registered with libgcc's __register_frame
// while the engine lives and deregistered before the code is unmapped.
// Thread-safety: registration is internally synchronised by the unwinder; objects are immutable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace bpfrt {

// How one JIT frame is built: code offsets (from the start of the code) at which each step is done.
struct JitFrameLayout {
  uint32_t begin = 0;  // the frame's entry
  uint32_t end = 0;    // the end of the code this layout describes
  struct Push {
    uint32_t after;  // offset just after the push
    int dwarf_reg;   // DWARF number of the register pushed
  };
  std::vector<Push> pushes;
  uint32_t after_reserve = 0;  // just after `sub rsp, reserve`
  uint32_t after_r12 = 0;      // just after `mov r12, rsp`; 0 for lean frames, which keep rsp put
  uint32_t reserve = 0;        // bytes reserved below the pushes
};

// DWARF register numbers (System V x86-64 psABI).
namespace dwarf_reg {
inline constexpr int kRbx = 3, kRbp = 6, kRsp = 7, kR12 = 12, kR13 = 13, kR14 = 14, kR15 = 15, kRa = 16;
}

// The registered .eh_frame of one piece of JIT code.
class JitUnwindInfo {
 public:
  JitUnwindInfo() = default;
  // Builds CIE + one FDE per layout for code at `code` and registers it.
  JitUnwindInfo(const uint8_t* code, const std::vector<JitFrameLayout>& frames);
  JitUnwindInfo(JitUnwindInfo&& other) noexcept;
  JitUnwindInfo& operator=(JitUnwindInfo&& other) noexcept;
  JitUnwindInfo(const JitUnwindInfo&) = delete;
  JitUnwindInfo& operator=(const JitUnwindInfo&) = delete;
  ~JitUnwindInfo();

  bool registered() const { return registered_; }
  const std::vector<uint8_t>& eh_frame() const { return eh_frame_; }

 private:
  void release();
  std::vector<uint8_t> eh_frame_;
  bool registered_ = false;
};

// The .eh_frame bytes (CIE, FDEs, zero terminator) for code at `code` (absolute addresses).
std::vector<uint8_t> build_eh_frame(const uint8_t* code, const std::vector<JitFrameLayout>& frames);

}  // namespace bpfrt
