/* Tracing with CO-RE: BPF_CORE_READ chains through task_struct, field and type existence checks with
 * flavours for older kernels, as real tools write them. Loadable only as tracing programs. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct task_struct___old {
  long state; /* renamed to __state in 5.14 */
} __attribute__((preserve_access_index));

static __always_inline long task_state(struct task_struct *t) {
  if (bpf_core_field_exists(struct task_struct___old, state))
    return BPF_CORE_READ((struct task_struct___old *)t, state);
  return BPF_CORE_READ(t, __state);
}

__u64 seen_pid = 0;

SEC("tp/syscalls/sys_enter_getpid")
int on_getpid(void *ctx) {
  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
  __u32 ppid = BPF_CORE_READ(task, real_parent, tgid);
  __u32 pid = BPF_CORE_READ(task, tgid);
  long state = task_state(task);
  seen_pid = ((__u64)ppid << 32) | pid;
  return state == 0 ? 0 : 1;
}

SEC("raw_tp/sched_switch")
int on_switch(struct bpf_raw_tracepoint_args *ctx) {
  struct task_struct *next = (struct task_struct *)ctx->args[2];
  char comm[16];
  BPF_CORE_READ_STR_INTO(&comm, next, comm);
  return comm[0] == 's';
}

char LICENSE[] SEC("license") = "GPL";
