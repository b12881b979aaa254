#include "helpers/user_stack.hpp"

#include <cstring>

#include <elf.h>
#include <link.h>
#include <unwind.h>

#include "helpers/helper_util.hpp"
#include "helpers/safe_memory.hpp"

namespace bpfrt::helpers {
namespace {

struct UnwindState {
  uint64_t boundary;  // frames whose CFA is at or below this belong to the runtime
  uint32_t skip;
  uint32_t max;
  bool past_runtime = false;
  std::vector<uint64_t>* out;
};

_Unwind_Reason_Code collect(struct _Unwind_Context* ctx, void* arg) {
  auto* st = static_cast<UnwindState*>(arg);
  const uint64_t cfa = _Unwind_GetCFA(ctx);
  const uint64_t ip = _Unwind_GetIP(ctx);
  if (ip == 0) {
    return _URC_END_OF_STACK;
  }
  if (!st->past_runtime) {
    // The first frame above the RunContext is Engine::run itself: skip it too.
    if (cfa > st->boundary) {
      st->past_runtime = true;
    }
    return _URC_NO_REASON;
  }
  if (st->skip > 0) {
    --st->skip;
    return _URC_NO_REASON;
  }
  st->out->push_back(ip);
  return st->out->size() >= st->max ? _URC_END_OF_STACK : _URC_NO_REASON;
}

// Frame-pointer walk from the probed code's registers: [fp] = caller's fp, [fp + 8] = return address.
void walk_frames(uint64_t ip, uint64_t fp, uint32_t skip, uint32_t max, std::vector<uint64_t>& out) {
  uint64_t prev_fp = 0;
  for (uint32_t depth = 0; depth < 512 && out.size() < max && ip != 0; ++depth) {
    if (skip > 0) {
      --skip;
    } else {
      out.push_back(ip);
    }
    uint64_t frame[2];
    if (fp == 0 || fp % 8 != 0 || fp <= prev_fp || !safe_read(frame, fp, sizeof(frame))) {
      break;
    }
    prev_fp = fp;
    fp = frame[0];
    ip = frame[1];
  }
}

struct BuildIdSearch {
  uint64_t ip;
  bool found = false;
  StackBuildId result{};
};

// Finds the loaded object containing ip and its NT_GNU_BUILD_ID note.
int find_object(struct dl_phdr_info* info, size_t, void* arg) {
  auto* s = static_cast<BuildIdSearch*>(arg);
  const ElfW(Phdr)* load = nullptr;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    const uint64_t start = info->dlpi_addr + ph.p_vaddr;
    if (ph.p_type == PT_LOAD && s->ip >= start && s->ip < start + ph.p_memsz) {
      load = &ph;
    }
  }
  if (load == nullptr) {
    return 0;
  }
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_NOTE) {
      continue;
    }
    const auto* p = reinterpret_cast<const uint8_t*>(info->dlpi_addr + ph.p_vaddr);
    const uint8_t* end = p + ph.p_memsz;
    while (p + sizeof(ElfW(Nhdr)) <= end) {
      ElfW(Nhdr) nh;
      std::memcpy(&nh, p, sizeof(nh));
      const uint8_t* name = p + sizeof(nh);
      const uint8_t* desc = name + ((nh.n_namesz + 3) & ~3u);
      if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 && std::memcmp(name, "GNU", 4) == 0 &&
          desc + nh.n_descsz <= end) {
        s->found = true;
        s->result.status = 1;  // BPF_STACK_BUILD_ID_VALID
        std::memcpy(s->result.build_id, desc, std::min<size_t>(nh.n_descsz, 20));
        s->result.offset_or_ip = s->ip - info->dlpi_addr - load->p_vaddr + load->p_offset;
        return 1;
      }
      p = desc + ((nh.n_descsz + 3) & ~3u);
    }
  }
  return 1;  // the object has no build id
}

}  // namespace

std::vector<uint64_t> capture_user_stack(const RunContext* rc, uint32_t skip, uint32_t max) {
  std::vector<uint64_t> ips;
  if (max == 0) {
    return ips;
  }
  if (const ProbeRunInfo* info = probe_info(rc); info != nullptr && info->user_ip != 0) {
    walk_frames(info->user_ip, info->user_fp, skip, max, ips);
    return ips;
  }
  UnwindState st{reinterpret_cast<uint64_t>(rc), skip, max, false, &ips};
  _Unwind_Backtrace(collect, &st);
  return ips;
}

std::vector<StackBuildId> resolve_build_ids(const std::vector<uint64_t>& ips) {
  std::vector<StackBuildId> out;
  out.reserve(ips.size());
  for (uint64_t ip : ips) {
    BuildIdSearch s{ip};
    dl_iterate_phdr(find_object, &s);
    if (!s.found) {
      s.result = StackBuildId{};
      s.result.status = 2;  // BPF_STACK_BUILD_ID_IP
      s.result.offset_or_ip = ip;
    }
    out.push_back(s.result);
  }
  return out;
}

}  // namespace bpfrt::helpers
