/* BPF_MAP_TYPE_ARRAY and PERCPU_ARRAY: per-protocol packet counters. */
#include "packet.h"

struct counter {
  __u64 packets;
  __u64 bytes;
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 256);
  __type(key, __u32);
  __type(value, struct counter);
} proto_counts SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 4);
  __type(key, __u32);
  __type(value, __u64);
} cpu_counts SEC(".maps");

SEC("xdp")
int xdp_count(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = PKT_AT(data, data_end, 0, sizeof(*eth));
  __u32 key = eth ? (bpf_ntohs(eth->h_proto) & 0xff) : 0;
  struct counter *c = bpf_map_lookup_elem(&proto_counts, &key);
  if (c) {
    __sync_fetch_and_add(&c->packets, 1);
    __sync_fetch_and_add(&c->bytes, data_end - data);
  }
  __u32 zero = 0;
  __u64 *n = bpf_map_lookup_elem(&cpu_counts, &zero);
  if (n)
    (*n)++;
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
