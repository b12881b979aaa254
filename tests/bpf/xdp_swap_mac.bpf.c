/* Bounces the frame: swaps source and destination MAC and transmits it back. */
#include "packet.h"

SEC("xdp")
int xdp_bounce(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = PKT_AT(data, data_end, 0, sizeof(*eth));
  if (!eth)
    return XDP_DROP;
  unsigned char tmp[ETH_ALEN];
  __builtin_memcpy(tmp, eth->h_dest, ETH_ALEN);
  __builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
  __builtin_memcpy(eth->h_source, tmp, ETH_ALEN);
  return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
