#include "dpdk_peer.hpp"

#include <cstring>
#include <vector>

#include <fmt/format.h>
#include <rte_bpf.h>
#include <rte_errno.h>

namespace bpfrt::bench {

Result<std::unique_ptr<DpdkProgram>> DpdkProgram::load(std::span<const uint8_t> bytecode, size_t ctx_size) {
  std::vector<ebpf_insn> insns(bytecode.size() / sizeof(ebpf_insn));
  std::memcpy(insns.data(), bytecode.data(), insns.size() * sizeof(ebpf_insn));
  rte_bpf_prm prm{};
  prm.ins = insns.data();
  prm.nb_ins = static_cast<uint32_t>(insns.size());
  prm.prog_arg.type = RTE_BPF_ARG_PTR;
  prm.prog_arg.size = ctx_size;
  rte_bpf* bpf = rte_bpf_load(&prm);
  if (bpf == nullptr) {
    return make_error(ErrorCode::kRefused, fmt::format("rte_bpf_load: {}", std::strerror(rte_errno)));
  }
  return std::unique_ptr<DpdkProgram>(new DpdkProgram(bpf));
}

DpdkProgram::DpdkProgram(rte_bpf* bpf) : bpf_(bpf) {
  rte_bpf_jit jit{};
  if (rte_bpf_get_jit(bpf_, &jit) == 0) {
    jit_ = jit.func;
  }
}

DpdkProgram::~DpdkProgram() {
  rte_bpf_destroy(bpf_);
}

uint64_t DpdkProgram::interpret(void* ctx) const {
  return rte_bpf_exec(bpf_, ctx);
}

}  // namespace bpfrt::bench
