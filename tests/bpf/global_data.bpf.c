/* Global data: initialised (.data), read-only (.rodata, set before load like a skeleton's rodata),
 * zeroed (.bss) and a custom data section, each accessed directly (map_idx_value relocations). */
#include "packet.h"

volatile const __u32 drop_port = 53;      /* .rodata */
volatile const char greeting[8] = "hello"; /* .rodata */
__u64 packets = 0;                         /* .bss */
__u64 bytes_seen = 0;                      /* .bss */
__u32 verdict_pass = XDP_PASS;             /* .data */
__u32 sample_rate SEC(".data.config") = 4; /* custom section */
static __u32 internal_counter = 100;       /* static .data */

SEC("xdp")
int xdp_counters(struct xdp_md *ctx) {
  packets++;
  bytes_seen += ctx->data_end - ctx->data;
  internal_counter++;
  if (greeting[0] != 'h')
    return XDP_ABORTED;
  if ((packets % sample_rate) == 0)
    return XDP_DROP + (drop_port == 53);
  return verdict_pass + internal_counter - internal_counter;
}

char LICENSE[] SEC("license") = "GPL";
