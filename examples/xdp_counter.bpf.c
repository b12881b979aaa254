/* The main job's example: an XDP program that counts packets and bytes per IP protocol in a hash
 * map, and drops UDP to one port, set through a .rodata global before load (skeleton-style).
 * Built by CMake with clang -O2 -g -target bpf into build/examples/xdp_counter.bpf.o. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct counter {
  __u64 packets;
  __u64 bytes;
};

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 256);
  __type(key, __u32); /* IP protocol, 0 for non-IPv4 */
  __type(value, struct counter);
} counts SEC(".maps");

/* Set before load: UDP packets to this port are dropped (0: none). */
const volatile __u16 blocked_udp_port = 0;
/* Packets dropped, in .bss. */
__u64 dropped = 0;

SEC("xdp")
int xdp_count(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  __u32 proto = 0;
  int action = XDP_PASS;
  if ((void *)(eth + 1) > data_end)
    return XDP_ABORTED;
  if (eth->h_proto == bpf_htons(ETH_P_IP)) {
    struct iphdr *ip = (void *)(eth + 1);
    if ((void *)(ip + 1) > data_end)
      return XDP_ABORTED;
    proto = ip->protocol;
    if (proto == IPPROTO_UDP && blocked_udp_port != 0) {
      struct udphdr *udp = (void *)ip + ip->ihl * 4;
      if ((void *)(udp + 1) <= data_end && udp->dest == bpf_htons(blocked_udp_port)) {
        action = XDP_DROP;
        __sync_fetch_and_add(&dropped, 1);
      }
    }
  }
  struct counter *c = bpf_map_lookup_elem(&counts, &proto);
  if (c) {
    __sync_fetch_and_add(&c->packets, 1);
    __sync_fetch_and_add(&c->bytes, (__u64)(data_end - data));
  } else {
    struct counter first = {1, (__u64)(data_end - data)};
    bpf_map_update_elem(&counts, &proto, &first, BPF_NOEXIST);
  }
  return action;
}

char LICENSE[] SEC("license") = "GPL";
