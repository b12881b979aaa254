/* Rewrites the packet: decrements the IPv4 TTL and patches the header checksum incrementally
 * (RFC 1624), dropping packets whose TTL would reach zero. data_out shows the change. */
#include "packet.h"

static __always_inline __u16 csum_fold(__u32 sum) {
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return (__u16)~sum;
}

SEC("xdp")
int xdp_ttl(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = PKT_AT(data, data_end, 0, sizeof(*eth));
  if (!eth || eth->h_proto != bpf_htons(ETH_P_IP))
    return XDP_PASS;
  struct iphdr *ip = PKT_AT(data, data_end, sizeof(*eth), sizeof(*ip));
  if (!ip)
    return XDP_PASS;
  if (ip->ttl <= 1)
    return XDP_DROP;
  __u16 old = *(__u16 *)&ip->ttl;
  ip->ttl--;
  __u16 new = *(__u16 *)&ip->ttl;
  __u32 sum = (__u16)~ip->check + (__u16)~old + new;
  ip->check = csum_fold(sum);
  return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
