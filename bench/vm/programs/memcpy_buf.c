/* memcpy of a 2 KiB buffer, eight bytes at a time, between two halves of the context. */
#include "bench_prog.h"

struct ctx {
  u64 src[256];
  u64 dst[256];
};

u64 BENCH_ENTRY(struct ctx *c) {
  for (int i = 0; i < 256; i++) {
    c->dst[i] = c->src[i];
  }
  return c->dst[255] ^ c->dst[0];
}
