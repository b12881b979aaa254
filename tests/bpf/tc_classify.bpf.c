/* A tc classifier over __sk_buff: direct packet access plus the len and protocol fields. */
#include "packet.h"

#define TC_ACT_OK 0
#define TC_ACT_SHOT 2

SEC("tc")
int tc_classify(struct __sk_buff *skb) {
  void *data = (void *)(long)skb->data;
  void *data_end = (void *)(long)skb->data_end;
  if (skb->protocol != bpf_htons(ETH_P_IP))
    return TC_ACT_OK;
  struct iphdr *ip = PKT_AT(data, data_end, sizeof(struct ethhdr), sizeof(*ip));
  if (!ip)
    return TC_ACT_SHOT;
  if (bpf_ntohs(ip->tot_len) + sizeof(struct ethhdr) > skb->len)
    return TC_ACT_SHOT; /* truncated */
  return ip->tos == 0x10 ? 7 : TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
