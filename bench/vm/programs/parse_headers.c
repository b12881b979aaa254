/* Parse Ethernet, IPv4 and TCP headers from a packet and classify it, as an XDP or tc filter does. */
#include "bench_prog.h"

struct ctx {
  u8 data[128];
  u32 len;
};

INLINE u16 load_be16(const u8 *p) {
  return (u16)((p[0] << 8) | p[1]);
}
INLINE u32 load_be32(const u8 *p) {
  return ((u32)p[0] << 24) | ((u32)p[1] << 16) | ((u32)p[2] << 8) | p[3];
}

u64 BENCH_ENTRY(struct ctx *c) {
  const u8 *p = c->data;
  u32 len = c->len;
  if (len < 14 + 20 + 20 || len > 128) {
    return 0;
  }
  u16 eth_type = load_be16(p + 12);
  u32 l3 = 14;
  if (eth_type == 0x8100) { /* one VLAN tag */
    eth_type = load_be16(p + 16);
    l3 = 18;
  }
  if (eth_type != 0x0800) {
    return 1;
  }
  const u8 *ip = p + l3;
  if ((ip[0] >> 4) != 4) {
    return 2;
  }
  u32 ihl = (u32)(ip[0] & 0xf) * 4;
  if (ihl < 20 || l3 + ihl + 20 > len || l3 + ihl > 60) {
    return 3;
  }
  if (ip[9] != 6) {
    return 4;
  }
  u16 frag = load_be16(ip + 6);
  if (frag & 0x3fff) {
    return 5;
  }
  u32 saddr = load_be32(ip + 12);
  u32 daddr = load_be32(ip + 16);
  const u8 *tcp = ip + ihl;
  u16 sport = load_be16(tcp);
  u16 dport = load_be16(tcp + 2);
  u8 flags = tcp[13];
  u64 verdict = (u64)(saddr ^ daddr) << 16 ^ ((u64)sport << 8) ^ dport;
  if (flags & 0x02) { /* SYN */
    verdict |= 1ULL << 62;
  }
  if (dport == 80 || dport == 443) {
    verdict |= 1ULL << 61;
  }
  return verdict;
}
