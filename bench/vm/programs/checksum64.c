/* The Internet checksum (RFC 1071) over 64 bytes, fully unrolled. */
#include "bench_prog.h"

struct ctx {
  u16 words[32];
};

u64 BENCH_ENTRY(struct ctx *c) {
  u64 sum = 0;
#pragma clang loop unroll(full)
  for (int i = 0; i < 32; i++) {
    sum += c->words[i];
  }
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return (u16)~sum;
}
