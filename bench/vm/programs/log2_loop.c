/* log2 over a loop: the integer log2 of 256 values, branch-free shift cascade per value. */
#include "bench_prog.h"

struct ctx {
  u64 values[256];
};

INLINE u64 log2_u64(u64 v) {
  u64 r = (v > 0xffffffffULL) << 5;
  v >>= r;
  u64 shift = (v > 0xffff) << 4;
  v >>= shift;
  r |= shift;
  shift = (v > 0xff) << 3;
  v >>= shift;
  r |= shift;
  shift = (v > 0xf) << 2;
  v >>= shift;
  r |= shift;
  shift = (v > 0x3) << 1;
  v >>= shift;
  r |= shift;
  return r | (v >> 1);
}

u64 BENCH_ENTRY(struct ctx *c) {
  u64 sum = 0;
  for (int i = 0; i < 256; i++) {
    sum += log2_u64(c->values[i]);
  }
  return sum;
}
