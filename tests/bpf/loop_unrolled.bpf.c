/* A fully unrolled loop (#pragma unroll) and a mixing function over the first 16 bytes. */
#include "packet.h"

SEC("xdp")
int xdp_fnv(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  __u8 *p = PKT_AT(data, data_end, 0, 16);
  if (!p)
    return XDP_ABORTED;
  __u32 h = 2166136261u;
#pragma unroll
  for (int i = 0; i < 16; i++) {
    h ^= p[i];
    h *= 16777619u;
  }
  return h;
}

char LICENSE[] SEC("license") = "GPL";
