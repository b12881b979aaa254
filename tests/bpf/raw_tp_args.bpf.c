/* A raw tracepoint program that works on its u64 arguments alone, so every engine and the kernel's
 * BPF_PROG_TEST_RUN (ctx_in = the arguments) compute the same: it counts calls per first argument in
 * a hash map and returns a mix of the first three arguments. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 64);
  __type(key, __u64);
  __type(value, __u64);
} calls SEC(".maps");

SEC("raw_tp/sys_enter")
int count_args(struct bpf_raw_tracepoint_args *ctx) {
  __u64 key = ctx->args[0];
  __u64 one = 1;
  __u64 *n = bpf_map_lookup_elem(&calls, &key);
  if (n)
    __sync_fetch_and_add(n, 1);
  else
    bpf_map_update_elem(&calls, &key, &one, BPF_NOEXIST);
  return (int)((ctx->args[0] * 31 + ctx->args[1]) ^ (ctx->args[2] >> 3));
}

char LICENSE[] SEC("license") = "GPL";
