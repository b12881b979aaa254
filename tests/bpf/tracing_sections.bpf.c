/* One program per kind of tracing and cgroup section, to check program types, expected attach types
 * and the attach targets parsed from the section names. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("kprobe/do_unlinkat")
int BPF_KPROBE(kp_unlink, int dfd, struct filename *name) { return 0; }

SEC("kprobe/vfs_read+0x10")
int kp_offset(struct pt_regs *ctx) { return 0; }

SEC("kretprobe/do_unlinkat")
int BPF_KRETPROBE(krp_unlink, long ret) { return 0; }

SEC("kprobe")
int kp_manual(struct pt_regs *ctx) { return 0; }

SEC("kprobe.multi/vfs_*")
int kp_multi(struct pt_regs *ctx) { return 0; }

SEC("ksyscall/openat")
int ksys_openat(struct pt_regs *ctx) { return 0; }

SEC("uprobe//usr/lib/x86_64-linux-gnu/libc.so.6:malloc")
int BPF_KPROBE(up_malloc, size_t size) { return 0; }

SEC("uretprobe/libc.so.6:free+4")
int urp_free(struct pt_regs *ctx) { return 0; }

SEC("uprobe.s/./app:main")
int up_sleepable(struct pt_regs *ctx) { return 0; }

SEC("usdt/libc.so.6:libc:setjmp")
int usdt_setjmp(struct pt_regs *ctx) { return 0; }

SEC("tracepoint/syscalls/sys_enter_openat")
int tp_openat(void *ctx) { return 0; }

SEC("tp/sched/sched_process_exec")
int tp_exec(void *ctx) { return 0; }

SEC("raw_tp/sys_enter")
int raw_sys_enter(struct bpf_raw_tracepoint_args *ctx) { return 0; }

SEC("tp_btf/sched_switch")
int BPF_PROG(btf_switch, bool preempt, struct task_struct *prev, struct task_struct *next) { return 0; }

SEC("fentry/do_unlinkat")
int BPF_PROG(fentry_unlink, int dfd, struct filename *name) { return 0; }

SEC("fexit/do_unlinkat")
int BPF_PROG(fexit_unlink, int dfd, struct filename *name, long ret) { return 0; }

SEC("lsm/file_open")
int BPF_PROG(lsm_open, struct file *file) { return 0; }

SEC("iter/task")
int iter_task(void *ctx) { return 0; }

SEC("perf_event")
int on_sample(void *ctx) { return 0; }

SEC("cgroup_skb/ingress")
int cg_ingress(struct __sk_buff *skb) { return 1; }

SEC("cgroup/connect4")
int cg_connect4(struct bpf_sock_addr *ctx) { return 1; }

SEC("sockops")
int sock_ops(struct bpf_sock_ops *ctx) { return 1; }

SEC("sk_lookup")
int lookup(struct bpf_sk_lookup *ctx) { return 1; }

SEC("flow_dissector")
int dissect(struct __sk_buff *skb) { return 0; }

SEC("xdp.frags")
int xdp_frags(struct xdp_md *ctx) { return 2; }

char LICENSE[] SEC("license") = "GPL";
