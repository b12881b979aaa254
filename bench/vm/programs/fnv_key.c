/* FNV-1a over a 32-byte key, fully unrolled. */
#include "bench_prog.h"

struct ctx {
  u8 key[32];
};

u64 BENCH_ENTRY(struct ctx *c) {
  u64 h = 0xcbf29ce484222325ULL;
#pragma clang loop unroll(full)
  for (int i = 0; i < 32; i++) {
    h ^= c->key[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}
