/* Bounded loops the verifier accepts since 5.3: an Internet checksum over the first 64 bytes and a
 * byte histogram, both with run-time trip counts. */
#include "packet.h"

SEC("xdp")
int xdp_checksum(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  __u32 sum = 0;
  for (int i = 0; i < 32; i++) {
    __u16 *word = PKT_AT(data, data_end, i * 2, 2);
    if (!word)
      break;
    sum += *word;
  }
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (__u16)~sum;
}

SEC("xdp")
int xdp_count_zeros(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  int zeros = 0;
  for (int i = 0; i < 256; i++) {
    __u8 *b = PKT_AT(data, data_end, i, 1);
    if (!b)
      break;
    if (*b == 0)
      zeros++;
  }
  return zeros;
}

char LICENSE[] SEC("license") = "GPL";
