/* Bit manipulation on two words: population count, bit reversal, parity, rotates, lowest set bit. */
#include "bench_prog.h"

struct ctx {
  u64 x;
  u64 y;
};

INLINE u64 popcount64(u64 v) {
  v = v - ((v >> 1) & 0x5555555555555555ULL);
  v = (v & 0x3333333333333333ULL) + ((v >> 2) & 0x3333333333333333ULL);
  v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
  return (v * 0x0101010101010101ULL) >> 56;
}

INLINE u64 reverse64(u64 v) {
  v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
  v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
  v = ((v >> 4) & 0x0f0f0f0f0f0f0f0fULL) | ((v & 0x0f0f0f0f0f0f0f0fULL) << 4);
  v = ((v >> 8) & 0x00ff00ff00ff00ffULL) | ((v & 0x00ff00ff00ff00ffULL) << 8);
  v = ((v >> 16) & 0x0000ffff0000ffffULL) | ((v & 0x0000ffff0000ffffULL) << 16);
  return (v >> 32) | (v << 32);
}

u64 BENCH_ENTRY(struct ctx *c) {
  u64 x = c->x, y = c->y;
  u64 pop = popcount64(x) + popcount64(y);
  u64 rev = reverse64(x ^ y);
  u64 par = popcount64(x & y) & 1;
  u64 rot = (x << 13 | x >> 51) ^ (y >> 7 | y << 57);
  u64 low = x & (~x + 1);
  u64 mask = (y | (y - 1)) + 1;
  return (rev ^ rot ^ low ^ mask) + (pop << 1) + par;
}
