/* BPF_MAP_TYPE_PROG_ARRAY initialised in the object (.values) and bpf_tail_call between three
 * programs of one section. */
#include "packet.h"

SEC("xdp")
int stage_ipv4(struct xdp_md *ctx) {
  return XDP_PASS;
}

SEC("xdp")
int stage_ipv6(struct xdp_md *ctx) {
  return XDP_DROP;
}

struct {
  __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
  __uint(max_entries, 4);
  __uint(key_size, sizeof(__u32));
  __array(values, int(void *));
} stages SEC(".maps") = {
    .values =
        {
            [0] = (void *)&stage_ipv4,
            [2] = (void *)&stage_ipv6,
        },
};

SEC("xdp")
int dispatch(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = PKT_AT(data, data_end, 0, sizeof(*eth));
  if (!eth)
    return XDP_ABORTED;
  if (eth->h_proto == bpf_htons(ETH_P_IP))
    bpf_tail_call(ctx, &stages, 0);
  else if (eth->h_proto == bpf_htons(ETH_P_IPV6))
    bpf_tail_call(ctx, &stages, 2);
  return XDP_TX; /* no program installed */
}

char LICENSE[] SEC("license") = "GPL";
