/* A small sort: insertion sort of 64 values copied to the stack, then a position-weighted sum. */
#include "bench_prog.h"

struct ctx {
  u32 values[64];
};

u64 BENCH_ENTRY(struct ctx *c) {
  u32 a[64];
  for (int i = 0; i < 64; i++) {
    a[i] = c->values[i];
  }
  for (int i = 1; i < 64; i++) {
    u32 key = a[i];
    int j = i - 1;
    while (j >= 0 && a[j] > key) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = key;
  }
  u64 sum = 0;
  for (int i = 0; i < 64; i++) {
    sum += (u64)a[i] * (u64)(i + 1);
  }
  return sum;
}
