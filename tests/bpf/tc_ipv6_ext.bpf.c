/* IPv6 extension headers from tc: skips hop-by-hop, routing and destination options (bounded) to
 * find the transport protocol; marks the packet with it. */
#include "packet.h"

struct ipv6_opt_hdr_bpfrt {
  __u8 nexthdr;
  __u8 hdrlen; /* 8-octet units, not counting the first 8 */
};

SEC("tc")
int tc_ipv6_l4(struct __sk_buff *skb) {
  void *data = (void *)(long)skb->data;
  void *data_end = (void *)(long)skb->data_end;
  if (skb->protocol != bpf_htons(ETH_P_IPV6))
    return 0;
  struct ipv6hdr *ip6 = PKT_AT(data, data_end, sizeof(struct ethhdr), sizeof(*ip6));
  if (!ip6)
    return 2;
  __u8 next = ip6->nexthdr;
  __u32 off = sizeof(struct ethhdr) + sizeof(*ip6);
  for (int i = 0; i < 4; i++) {
    if (next != 0 && next != 43 && next != 60)
      break;
    struct ipv6_opt_hdr_bpfrt *h = PKT_AT(data, data_end, off, sizeof(*h));
    if (!h)
      return 2;
    next = h->nexthdr;
    off += (h->hdrlen + 1) * 8;
    if (off > 512)
      return 2;
  }
  skb->mark = next;
  return next == IPPROTO_TCP || next == IPPROTO_UDP ? 0 : 2;
}

char LICENSE[] SEC("license") = "GPL";
