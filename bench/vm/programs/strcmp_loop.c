/* strcmp of 32 string pairs that differ only near their ends. */
#include "bench_prog.h"

struct ctx {
  char a[32][48];
  char b[32][48];
};

INLINE int str_cmp(const char *x, const char *y) {
  while (*x && *x == *y) {
    x++;
    y++;
  }
  return (unsigned char)*x - (unsigned char)*y;
}

u64 BENCH_ENTRY(struct ctx *c) {
  s64 sum = 0;
  for (int i = 0; i < 32; i++) {
    sum = sum * 3 + str_cmp(c->a[i], c->b[i]);
  }
  return (u64)sum;
}
