/* Opens and relocates fine, but reads the packet without comparing against data_end: the verifier
 * (bpfrt's and the kernel's) must refuse it, and `bpfrt load` / `bpfrt run` show its log. */
#include "packet.h"

SEC("xdp")
int xdp_unchecked(struct xdp_md *ctx) {
  unsigned char *data = (void *)(long)ctx->data;
  return data[12] == 0x08 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
