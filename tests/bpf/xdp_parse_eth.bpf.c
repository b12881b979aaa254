/* Ethernet parsing: drop IPv6, pass IPv4, abort on runts, TX ARP. */
#include "packet.h"

SEC("xdp")
int xdp_by_ethertype(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = PKT_AT(data, data_end, 0, sizeof(*eth));
  if (!eth)
    return XDP_ABORTED;
  switch (bpf_ntohs(eth->h_proto)) {
    case ETH_P_IP:
      return XDP_PASS;
    case ETH_P_IPV6:
      return XDP_DROP;
    case ETH_P_ARP:
      return XDP_TX;
    default:
      return XDP_REDIRECT;
  }
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
