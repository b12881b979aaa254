/* 802.1Q / 802.1ad parsing: walks up to two VLAN tags, returns the inner VLAN id and the
 * encapsulated protocol, and strips the priority bits of the outer tag in place. */
#include "packet.h"

struct vlan_hdr {
  __be16 tci;
  __be16 proto;
};

SEC("xdp")
int xdp_vlan(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = PKT_AT(data, data_end, 0, sizeof(*eth));
  if (!eth)
    return XDP_ABORTED;
  __u16 proto = eth->h_proto;
  __u32 off = sizeof(*eth);
  __u16 vid = 0;
#pragma unroll
  for (int i = 0; i < 2; i++) {
    if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
      break;
    struct vlan_hdr *v = PKT_AT(data, data_end, off, sizeof(*v));
    if (!v)
      return XDP_ABORTED;
    if (i == 0)
      v->tci &= bpf_htons(0x0fff);
    vid = bpf_ntohs(v->tci) & 0x0fff;
    proto = v->proto;
    off += sizeof(*v);
  }
  return ((__u32)vid << 16) | bpf_ntohs(proto);
}

char LICENSE[] SEC("license") = "GPL";
