/* BPF-to-BPF calls into static functions of .text, nested three deep, with stack arguments passed
 * by pointer. */
#include "packet.h"

static __noinline __u32 mix(__u32 a, __u32 b) {
  a ^= b;
  a *= 0x9e3779b1u;
  return a ^ (a >> 15);
}

static __noinline __u32 hash_bytes(const __u8 *p, int n) {
  __u32 h = 7;
  for (int i = 0; i < n && i < 8; i++)
    h = mix(h, p[i]);
  return h;
}

static __noinline int parse(struct xdp_md *ctx, __u32 *out) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  __u8 *p = PKT_AT(data, data_end, 0, 8);
  if (!p)
    return -1;
  __u8 copy[8];
  __builtin_memcpy(copy, p, 8);
  *out = hash_bytes(copy, 8);
  return 0;
}

SEC("xdp")
int xdp_subprogs(struct xdp_md *ctx) {
  __u32 h = 0;
  if (parse(ctx, &h) < 0)
    return XDP_ABORTED;
  return mix(h, 42) & 0xffff;
}

char LICENSE[] SEC("license") = "GPL";
