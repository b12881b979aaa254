// The standard helper implementations, by group; standard_helpers.cpp maps kernel ids to them.
#pragma once

#include "bpfrt/helper.hpp"

namespace bpfrt::helpers {

#define BPFRT_HELPER(name) \
  uint64_t name(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, RunContext* rc)

// map_helpers.cpp
BPFRT_HELPER(map_lookup_elem);
BPFRT_HELPER(map_update_elem);
BPFRT_HELPER(map_delete_elem);
BPFRT_HELPER(map_push_elem);
BPFRT_HELPER(map_pop_elem);
BPFRT_HELPER(map_peek_elem);
BPFRT_HELPER(for_each_map_elem);
BPFRT_HELPER(loop);
BPFRT_HELPER(tail_call);
BPFRT_HELPER(spin_lock);
BPFRT_HELPER(spin_unlock);

// task_helpers.cpp
BPFRT_HELPER(ktime_get_ns);
BPFRT_HELPER(ktime_get_boot_ns);
BPFRT_HELPER(ktime_get_coarse_ns);
BPFRT_HELPER(get_prandom_u32);
BPFRT_HELPER(get_smp_processor_id);
BPFRT_HELPER(get_current_pid_tgid);
BPFRT_HELPER(get_current_uid_gid);
BPFRT_HELPER(get_current_comm);
BPFRT_HELPER(send_signal);

// probe_helpers.cpp
BPFRT_HELPER(probe_read);
BPFRT_HELPER(probe_read_str);
BPFRT_HELPER(probe_write_user);

// output_helpers.cpp
BPFRT_HELPER(trace_printk);
BPFRT_HELPER(trace_vprintk);
BPFRT_HELPER(snprintf);
BPFRT_HELPER(strncmp);
BPFRT_HELPER(perf_event_output);
BPFRT_HELPER(ringbuf_output);
BPFRT_HELPER(ringbuf_reserve);
BPFRT_HELPER(ringbuf_submit);
BPFRT_HELPER(ringbuf_discard);
BPFRT_HELPER(ringbuf_query);

// tracing_helpers.cpp
BPFRT_HELPER(get_func_ip);
BPFRT_HELPER(get_attach_cookie);
BPFRT_HELPER(get_func_arg);
BPFRT_HELPER(get_func_ret);
BPFRT_HELPER(get_func_arg_cnt);
BPFRT_HELPER(override_return);
BPFRT_HELPER(set_retval);
BPFRT_HELPER(get_retval);
BPFRT_HELPER(get_stack);
BPFRT_HELPER(get_stackid);

#undef BPFRT_HELPER

}  // namespace bpfrt::helpers
