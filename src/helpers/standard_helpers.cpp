// The table from kernel helper ids to implementations, the per-run holdings, and the standalone host.
#include "bpfrt/standard_helpers.hpp"

#include <array>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "helpers/helper_impls.hpp"
#include "helpers/helper_prototypes.hpp"
#include "helpers/helper_util.hpp"
#include "maps/map_base.hpp"

namespace bpfrt {
namespace helpers {
namespace {

struct Impl {
  int32_t id;
  HelperFn fn;
};

// Numbered as BPF_FUNC_* in <linux/bpf.h>; the prototypes come from helper_prototypes.cpp.
const std::array kImpls = {
    Impl{1, map_lookup_elem},
    Impl{2, map_update_elem},
    Impl{3, map_delete_elem},
    Impl{4, probe_read},
    Impl{5, ktime_get_ns},
    Impl{6, trace_printk},
    Impl{7, get_prandom_u32},
    Impl{8, get_smp_processor_id},
    Impl{12, tail_call},
    Impl{14, get_current_pid_tgid},
    Impl{15, get_current_uid_gid},
    Impl{16, get_current_comm},
    Impl{25, perf_event_output},
    Impl{27, get_stackid},
    Impl{36, probe_write_user},
    Impl{45, probe_read_str},
    Impl{58, override_return},
    Impl{67, get_stack},
    Impl{87, map_push_elem},
    Impl{88, map_pop_elem},
    Impl{89, map_peek_elem},
    Impl{93, spin_lock},
    Impl{94, spin_unlock},
    Impl{109, send_signal},
    Impl{112, probe_read},
    Impl{113, probe_read},
    Impl{114, probe_read_str},
    Impl{115, probe_read_str},
    Impl{125, ktime_get_boot_ns},
    Impl{130, ringbuf_output},
    Impl{131, ringbuf_reserve},
    Impl{132, ringbuf_submit},
    Impl{133, ringbuf_discard},
    Impl{134, ringbuf_query},
    Impl{160, ktime_get_coarse_ns},
    Impl{164, for_each_map_elem},
    Impl{165, snprintf},
    Impl{173, get_func_ip},
    Impl{174, get_attach_cookie},
    Impl{177, trace_vprintk},
    Impl{181, loop},
    Impl{182, strncmp},
    Impl{183, get_func_arg},
    Impl{184, get_func_ret},
    Impl{185, get_func_arg_cnt},
    Impl{186, get_retval},
    Impl{187, set_retval},
};

// Reservations a run never submitted are discarded and locks it still holds released, so an
// unverified program that fails half-way cannot block a ring buffer or a lock.
void release_holdings(RunContext& rc) {
  auto* h = static_cast<RunHoldings*>(rc.helper_state);
  for (void* rec : h->reservations) {
    ringbuf::commit(rec, 1 /* BPF_RB_NO_WAKEUP */, true);
  }
  for (uint32_t* lock : h->locks) {
    bpfrt::spin_unlock(lock);
  }
  for (Map* m : h->copied) {
    m->prog_run_end(h);
  }
  h->reservations.clear();
  h->locks.clear();
  h->copied.clear();
  rc.helper_state = nullptr;
  rc.on_run_end = nullptr;
}

}  // namespace

RunHoldings& holdings(RunContext* rc) {
  if (rc->helper_state == nullptr) {
    // One per thread is enough: a run's holdings are released before the thread starts another.
    thread_local RunHoldings per_thread;
    thread_local std::vector<std::unique_ptr<RunHoldings>> nested;
    RunHoldings* h = &per_thread;
    if (!h->reservations.empty() || !h->locks.empty() || !h->copied.empty()) {
      nested.push_back(std::make_unique<RunHoldings>());  // a run inside a helper of another run
      h = nested.back().get();
    }
    rc->helper_state = h;
    rc->on_run_end = release_holdings;
  }
  return *static_cast<RunHoldings*>(rc->helper_state);
}

}  // namespace helpers

void StandaloneHelperHost::trace(std::string_view line) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::fprintf(out_, "%.*s\n", static_cast<int>(line.size()), line.data());
  std::fflush(out_);
}

Status add_standard_helpers(HelperTable& table, HelperHost& host) {
  for (const StandardHelper& h : standard_helpers()) {
    const helpers::Impl* impl = nullptr;
    for (const helpers::Impl& i : helpers::kImpls) {
      if (i.id == h.id) {
        impl = &i;
      }
    }
    if (impl == nullptr) {
      return make_error(ErrorCode::kUnsupported, fmt::format("helper {} ({}) has no implementation", h.id, h.name));
    }
    BPFRT_TRY(table.add({h.id, std::string(h.name), impl->fn, h.prototype}));
  }
  table.set_context(&host);
  return {};
}

}  // namespace bpfrt
