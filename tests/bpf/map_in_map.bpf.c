/* Maps of maps: ARRAY_OF_MAPS and HASH_OF_MAPS whose inner maps are declared in the object and
 * installed with .values. */
#include "packet.h"

struct inner {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 4);
  __type(key, __u32);
  __type(value, __u32);
};

struct inner inner_a SEC(".maps");
struct inner inner_b SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
  __uint(max_entries, 2);
  __type(key, __u32);
  __array(values, struct inner);
} outer_array SEC(".maps") = {
    .values = {&inner_a, &inner_b},
};

struct {
  __uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
  __uint(max_entries, 8);
  __type(key, __u32);
  __array(values, struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16);
    __type(key, __u32);
    __type(value, __u64);
  });
} outer_hash SEC(".maps");

SEC("xdp")
int xdp_select(struct xdp_md *ctx) {
  __u32 idx = (ctx->data_end - ctx->data) & 1;
  void *inner = bpf_map_lookup_elem(&outer_array, &idx);
  if (!inner)
    return XDP_ABORTED;
  __u32 zero = 0;
  __u32 *v = bpf_map_lookup_elem(inner, &zero);
  if (v)
    (*v)++;
  void *h = bpf_map_lookup_elem(&outer_hash, &zero);
  if (h) {
    __u64 one = 1;
    bpf_map_update_elem(h, &zero, &one, BPF_ANY);
  }
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
