/* Pins `shared_hits` by name with another shape than pinned_counter.bpf.c: loading both into one
 * registry must fail, naming both shapes. */
#include "packet.h"

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 4);
  __type(key, __u32);
  __type(value, __u32);
  __uint(pinning, LIBBPF_PIN_BY_NAME);
} shared_hits SEC(".maps");

SEC("xdp")
int xdp_clash(struct xdp_md *ctx) {
  __u32 key = 0, one = 1;
  bpf_map_update_elem(&shared_hits, &key, &one, BPF_ANY);
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
