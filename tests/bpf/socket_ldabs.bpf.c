/* A classic socket filter with the legacy packet loads (ld_abs): keeps IPv4 UDP packets, truncated
 * to 64 bytes, and drops the rest. Offsets are from the network header. */
#include "packet.h"

unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");
unsigned long long load_word(void *skb, unsigned long long off) asm("llvm.bpf.load.word");

SEC("socket")
int udp_only(struct __sk_buff *skb) {
  if ((load_byte(skb, 0) >> 4) != 4)
    return 0;
  if (load_byte(skb, offsetof(struct iphdr, protocol)) != IPPROTO_UDP)
    return 0;
  __u32 len = load_half(skb, offsetof(struct iphdr, tot_len));
  __u32 saddr = load_word(skb, offsetof(struct iphdr, saddr));
  if (saddr == 0x7f000001)
    return 0; /* from loopback */
  return len < 64 ? len : 64;
}

char LICENSE[] SEC("license") = "GPL";
