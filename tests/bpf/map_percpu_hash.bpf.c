/* BPF_MAP_TYPE_PERCPU_HASH and LRU_PERCPU_HASH from a tc program. */
#include "packet.h"

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
  __uint(max_entries, 64);
  __type(key, __u32);
  __type(value, __u64);
} per_proto SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
  __uint(max_entries, 64);
  __type(key, __u32);
  __type(value, __u64);
} per_len SEC(".maps");

SEC("tc")
int tc_percpu(struct __sk_buff *skb) {
  __u32 proto = skb->protocol;
  __u64 init = 1;
  __u64 *v = bpf_map_lookup_elem(&per_proto, &proto);
  if (v)
    *v += 1;
  else
    bpf_map_update_elem(&per_proto, &proto, &init, BPF_ANY);
  __u32 len = skb->len;
  bpf_map_update_elem(&per_len, &len, &init, BPF_ANY);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
