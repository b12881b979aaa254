/* BPF_MAP_TYPE_HASH and LRU_HASH keyed by a struct: flow table with update, lookup and delete. */
#include "packet.h"

struct flow_key {
  __u32 saddr;
  __u32 daddr;
  __u8 proto;
  __u8 pad[3];
};

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1024);
  __type(key, struct flow_key);
  __type(value, __u64);
  __uint(map_flags, BPF_F_NO_PREALLOC);
} flows SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 128);
  __type(key, __u32);
  __type(value, __u32);
} recent SEC(".maps");

SEC("xdp")
int xdp_flows(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct iphdr *ip = PKT_AT(data, data_end, sizeof(struct ethhdr), sizeof(*ip));
  if (!ip)
    return XDP_PASS;
  struct flow_key key = {.saddr = ip->saddr, .daddr = ip->daddr, .proto = ip->protocol};
  __u64 one = 1;
  __u64 *n = bpf_map_lookup_elem(&flows, &key);
  if (n)
    __sync_fetch_and_add(n, 1);
  else
    bpf_map_update_elem(&flows, &key, &one, BPF_NOEXIST);
  __u32 src = ip->saddr;
  __u32 *seen = bpf_map_lookup_elem(&recent, &src);
  if (seen && *seen > 100) {
    bpf_map_delete_elem(&flows, &key);
    return XDP_DROP;
  }
  __u32 count = seen ? *seen + 1 : 1;
  bpf_map_update_elem(&recent, &src, &count, BPF_ANY);
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
