/* switch dispatch: a tiny accumulator machine interpreting 512 opcodes from the context. */
#include "bench_prog.h"

struct ctx {
  u8 ops[512];
};

u64 BENCH_ENTRY(struct ctx *c) {
  u64 acc = 1, aux = 7;
  for (int i = 0; i < 512; i++) {
    switch (c->ops[i] & 7) {
      case 0:
        acc += aux;
        break;
      case 1:
        acc ^= acc >> 7;
        break;
      case 2:
        acc *= 3;
        break;
      case 3:
        aux += acc & 0xff;
        break;
      case 4:
        acc -= aux;
        break;
      case 5:
        acc = (acc << 5) | (acc >> 59);
        break;
      case 6:
        aux ^= acc;
        break;
      default:
        acc += i;
        break;
    }
  }
  return acc ^ aux;
}
