/* Prime counting by trial division below a limit read from the context. */
#include "bench_prog.h"

struct ctx {
  u64 limit;
};

u64 BENCH_ENTRY(struct ctx *c) {
  u64 count = 0;
  for (u64 n = 2; n < c->limit; n++) {
    int prime = 1;
    for (u64 d = 2; d * d <= n; d++) {
      if (n % d == 0) {
        prime = 0;
        break;
      }
    }
    count += prime;
  }
  return count;
}
