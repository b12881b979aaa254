/* A map pinned by name (LIBBPF_PIN_BY_NAME): every object that pins `shared_hits` uses the same map.
 * Counts packets by their length class. */
#include "packet.h"

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 4);
  __type(key, __u32);
  __type(value, __u64);
  __uint(pinning, LIBBPF_PIN_BY_NAME);
} shared_hits SEC(".maps");

SEC("xdp")
int xdp_hits(struct xdp_md *ctx) {
  __u32 len = ctx->data_end - ctx->data;
  __u32 key = len < 64 ? 0 : len < 256 ? 1 : len < 1024 ? 2 : 3;
  __u64 *n = bpf_map_lookup_elem(&shared_hits, &key);
  if (n)
    __sync_fetch_and_add(n, 1);
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
