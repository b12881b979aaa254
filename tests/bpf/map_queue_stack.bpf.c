/* BPF_MAP_TYPE_QUEUE and STACK (no key): push packet lengths, pop them back. */
#include "packet.h"

struct {
  __uint(type, BPF_MAP_TYPE_QUEUE);
  __uint(max_entries, 32);
  __type(value, __u32);
} lengths SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_STACK);
  __uint(max_entries, 32);
  __uint(value_size, sizeof(__u64));
} history SEC(".maps");

SEC("xdp")
int xdp_queue(struct xdp_md *ctx) {
  __u32 len = ctx->data_end - ctx->data;
  bpf_map_push_elem(&lengths, &len, BPF_EXIST);
  __u64 entry = len;
  bpf_map_push_elem(&history, &entry, 0);
  __u32 oldest = 0;
  if (bpf_map_peek_elem(&lengths, &oldest) == 0 && oldest > 1000)
    bpf_map_pop_elem(&lengths, &oldest);
  __u64 last = 0;
  bpf_map_pop_elem(&history, &last);
  return last == len ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
