/* Global (non-static) functions, verified on their own by the kernel, called from two entry
 * programs: each program gets its own copy of the subprograms it uses. */
#include "packet.h"

__noinline int scale(int x, int factor) {
  if (factor == 0)
    return 0;
  return x * factor + (x >> 3);
}

__noinline int clamp(int x, int lo, int hi) {
  return x < lo ? lo : x > hi ? hi : x;
}

SEC("xdp")
int xdp_scaled_len(struct xdp_md *ctx) {
  int len = ctx->data_end - ctx->data;
  return clamp(scale(len, 3), 0, 1000);
}

SEC("tc")
int tc_scaled_len(struct __sk_buff *skb) {
  return scale(skb->len, 5);
}

char LICENSE[] SEC("license") = "GPL";
