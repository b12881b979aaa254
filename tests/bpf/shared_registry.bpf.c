/* Kernel maps shared with other processes through a bpfrt registry (bpfrt load --target shared): a hash
 * map counting packets by length, a plain array (no mmap: bpfrt programs reach it through copies) with
 * a packet count and a byte total, and an mmapable array counted atomically. */
#include "packet.h"

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 16);
  __type(key, __u32);
  __type(value, __u64);
} by_len SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 2);
  __type(key, __u32);
  __type(value, __u64);
} totals SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
  __uint(map_flags, BPF_F_MMAPABLE);
} hits SEC(".maps");

SEC("xdp")
int xdp_tally(struct xdp_md *ctx) {
  __u32 len = ctx->data_end - ctx->data;
  __u64 one = 1;
  __u64 *n = bpf_map_lookup_elem(&by_len, &len);
  if (n)
    *n += 1;
  else
    bpf_map_update_elem(&by_len, &len, &one, BPF_NOEXIST);
  __u32 key = 0;
  __u64 *packets = bpf_map_lookup_elem(&totals, &key);
  if (packets)
    *packets += 1;
  key = 1;
  __u64 *bytes = bpf_map_lookup_elem(&totals, &key);
  if (bytes)
    *bytes += len;
  key = 0;
  __u64 *h = bpf_map_lookup_elem(&hits, &key);
  if (h)
    __sync_fetch_and_add(h, 1);
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
