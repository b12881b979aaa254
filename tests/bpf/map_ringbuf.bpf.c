/* BPF_MAP_TYPE_RINGBUF: reserve, fill and submit an event per packet (or discard). */
#include "packet.h"

struct event {
  __u32 len;
  __u16 proto;
  __u16 pad;
  __u8 head[16];
};

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 256 * 1024);
} events SEC(".maps");

SEC("xdp")
int xdp_events(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = PKT_AT(data, data_end, 0, sizeof(*eth));
  struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
  if (!e)
    return XDP_PASS;
  if (!eth) {
    bpf_ringbuf_discard(e, 0);
    return XDP_PASS;
  }
  e->len = data_end - data;
  e->proto = bpf_ntohs(eth->h_proto);
  e->pad = 0;
  __builtin_memcpy(e->head, eth, sizeof(*eth));
  __builtin_memset(e->head + sizeof(*eth), 0, sizeof(e->head) - sizeof(*eth));
  bpf_ringbuf_submit(e, 0);
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
