/* Reads the __sk_buff fields BPF_PROG_TEST_RUN fills and writes mark, priority and cb[], which come
 * back in ctx_out. */
#include "packet.h"

SEC("classifier")
int tc_fields(struct __sk_buff *skb) {
  __u32 h = skb->len;
  h = h * 31 + skb->protocol;
  h = h * 31 + skb->pkt_type;
  h = h * 31 + skb->ifindex;
  h = h * 31 + skb->mark;
  h = h * 31 + skb->priority;
  h = h * 31 + skb->cb[0];
  h = h * 31 + (skb->data_end - skb->data);
  skb->mark = h;
  skb->priority = skb->len;
  skb->cb[1] = 0x1234;
  return h & 0xff;
}

char LICENSE[] SEC("license") = "GPL";
