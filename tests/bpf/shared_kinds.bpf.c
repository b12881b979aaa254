/* Kernel maps without mmap that a kernel program and a bpfrt program share through bpf(): a hash map,
 * a per-CPU array (lookup + in-place increment) and a perf event array (one sample per run). */
#include "packet.h"

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 16);
  __type(key, __u32);
  __type(value, __u64);
} flows SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 2);
  __type(key, __u32);
  __type(value, __u64);
} per_cpu SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
  __uint(key_size, sizeof(__u32));
  __uint(value_size, sizeof(__u32));
} events SEC(".maps");

SEC("xdp")
int xdp_count(struct xdp_md *ctx) {
  __u32 key = ctx->data_end - ctx->data;
  __u64 one = 1;
  __u64 *n = bpf_map_lookup_elem(&flows, &key);
  if (n)
    *n += 1;
  else
    bpf_map_update_elem(&flows, &key, &one, BPF_NOEXIST);
  __u32 zero = 0;
  __u64 *c = bpf_map_lookup_elem(&per_cpu, &zero);
  if (c)
    *c += 1;
  __u64 sample[2] = {0x5eed, key};
  bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, sample, sizeof(sample));
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
