/* Five-tuple parsing through IPv4 options, IPv6, TCP and UDP: drops UDP port 53 and TCP port 23,
 * returns the destination port in the upper bits so the result shows what was parsed. */
#include "packet.h"

SEC("xdp")
int xdp_l4(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = PKT_AT(data, data_end, 0, sizeof(*eth));
  if (!eth)
    return XDP_ABORTED;
  __u8 proto;
  __u32 l4off;
  if (eth->h_proto == bpf_htons(ETH_P_IP)) {
    struct iphdr *ip = PKT_AT(data, data_end, sizeof(*eth), sizeof(*ip));
    if (!ip || ip->ihl < 5)
      return XDP_ABORTED;
    proto = ip->protocol;
    l4off = sizeof(*eth) + ip->ihl * 4;
  } else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
    struct ipv6hdr *ip6 = PKT_AT(data, data_end, sizeof(*eth), sizeof(*ip6));
    if (!ip6)
      return XDP_ABORTED;
    proto = ip6->nexthdr;
    l4off = sizeof(*eth) + sizeof(*ip6);
  } else {
    return XDP_PASS;
  }
  if (l4off > 128)
    return XDP_ABORTED;
  __u16 dport;
  if (proto == IPPROTO_UDP) {
    struct udphdr *udp = PKT_AT(data, data_end, l4off, sizeof(*udp));
    if (!udp)
      return XDP_ABORTED;
    dport = bpf_ntohs(udp->dest);
    if (dport == 53)
      return XDP_DROP;
  } else if (proto == IPPROTO_TCP) {
    struct tcphdr *tcp = PKT_AT(data, data_end, l4off, sizeof(*tcp));
    if (!tcp)
      return XDP_ABORTED;
    dport = bpf_ntohs(tcp->dest);
    if (dport == 23 || (tcp->syn && tcp->fin))
      return XDP_DROP;
  } else {
    return XDP_PASS;
  }
  return XDP_PASS | ((__u32)dport << 8);
}

char LICENSE[] SEC("license") = "GPL";
