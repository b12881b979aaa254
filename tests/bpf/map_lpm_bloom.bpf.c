/* BPF_MAP_TYPE_LPM_TRIE (prefix routes) and BLOOM_FILTER (map_extra = number of hashes). */
#include "packet.h"

struct lpm_v4 {
  __u32 prefixlen;
  __u32 addr;
};

struct {
  __uint(type, BPF_MAP_TYPE_LPM_TRIE);
  __uint(max_entries, 256);
  __type(key, struct lpm_v4);
  __type(value, __u32);
  __uint(map_flags, BPF_F_NO_PREALLOC);
} routes SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
  __uint(max_entries, 1000);
  __type(value, __u32);
  __uint(map_extra, 3);
} blocked SEC(".maps");

SEC("xdp")
int xdp_route(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct iphdr *ip = PKT_AT(data, data_end, sizeof(struct ethhdr), sizeof(*ip));
  if (!ip)
    return XDP_PASS;
  __u32 src = ip->saddr;
  if (bpf_map_peek_elem(&blocked, &src) == 0)
    return XDP_DROP;
  struct lpm_v4 key = {.prefixlen = 32, .addr = ip->daddr};
  __u32 *port = bpf_map_lookup_elem(&routes, &key);
  return port ? *port : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
