/* String literals in .rodata.str1.1 and a constant table in .rodata: compared byte by byte. */
#include "packet.h"

static const char magic[] = "BPFRT-MAGIC";
static const __u8 table[16] = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3};

SEC("xdp")
int xdp_magic(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  const char *p = PKT_AT(data, data_end, 14, sizeof(magic) - 1);
  if (!p)
    return table[0];
  for (int i = 0; i < sizeof(magic) - 1; i++)
    if (p[i] != magic[i])
      return table[(i + 1) & 15];
  bpf_printk("magic found in a packet of %d bytes", (int)(data_end - data));
  bpf_trace_printk("magic found\n", sizeof("magic found\n")); /* a literal: .rodata.str1.1 */
  return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
