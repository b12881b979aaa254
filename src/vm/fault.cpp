#include "vm/fault.hpp"

#include <string>

#include <fmt/format.h>

#include "bpfrt/engine.hpp"

namespace bpfrt {

Error fault_error(const Program& program, size_t pc, const Fault& f, uint64_t budget) {
  const std::string where = fmt::format("instruction {} ({})", pc, disassemble_one(program, pc));
  std::string what;
  switch (f.code) {
    case ErrorCode::kOutOfBounds:
      what = f.misaligned
                 ? fmt::format("misaligned {}-byte atomic access at 0x{:x}", f.size, f.addr)
                 : fmt::format("out-of-bounds {} of {} bytes at 0x{:x}", f.write ? "write" : "read", f.size, f.addr);
      break;
    case ErrorCode::kBudgetExhausted:
      what = fmt::format("instruction budget of {} exhausted", budget);
      break;
    case ErrorCode::kCallDepth:
      what = fmt::format("call depth exceeds {} frames", kMaxCallFrames);
      break;
    case ErrorCode::kBadCall:
      what = f.callback ? fmt::format("callback target {} is not an instruction of this program", f.callx_target)
                        : fmt::format("callx to unknown helper {}", f.callx_target);
      break;
    case ErrorCode::kHelperFailed:
      what = fmt::format("helper failed: {}", f.helper_failure);
      break;
    default:
      what = "run failed";
      break;
  }
  return make_error(f.code, fmt::format("{}: {}", where, what), pc);
}

}  // namespace bpfrt
