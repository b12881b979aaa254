/* Counters a kernel program and a bpfrt program can share: an mmapable array map and a .bss global
 * (libbpf makes global data mmapable), both incremented atomically. */
#include "packet.h"

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 2);
  __type(key, __u32);
  __type(value, __u64);
  __uint(map_flags, BPF_F_MMAPABLE);
} hits SEC(".maps");

__u64 total = 0;

SEC("xdp")
int xdp_shared(struct xdp_md *ctx) {
  __u32 key = ctx->data_end - ctx->data > 100 ? 1 : 0;
  __u64 *n = bpf_map_lookup_elem(&hits, &key);
  if (n)
    __sync_fetch_and_add(n, 1);
  __sync_fetch_and_add(&total, 2);
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
