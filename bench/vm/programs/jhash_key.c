/* jhash (Bob Jenkins' lookup3, as in the kernel's jhash2) of a 16-byte flow key, fully unrolled. */
#include "bench_prog.h"

struct ctx {
  u32 key[4];
  u32 seed;
};

INLINE u32 rol32(u32 w, u32 s) {
  return (w << s) | (w >> (32 - s));
}

#define JHASH_MIX(a, b, c) \
  {                        \
    a -= c;                \
    a ^= rol32(c, 4);      \
    c += b;                \
    b -= a;                \
    b ^= rol32(a, 6);      \
    a += c;                \
    c -= b;                \
    c ^= rol32(b, 8);      \
    b += a;                \
    a -= c;                \
    a ^= rol32(c, 16);     \
    c += b;                \
    b -= a;                \
    b ^= rol32(a, 19);     \
    a += c;                \
    c -= b;                \
    c ^= rol32(b, 4);      \
    b += a;                \
  }

#define JHASH_FINAL(a, b, c) \
  {                          \
    c ^= b;                  \
    c -= rol32(b, 14);       \
    a ^= c;                  \
    a -= rol32(c, 11);       \
    b ^= a;                  \
    b -= rol32(a, 25);       \
    c ^= b;                  \
    c -= rol32(b, 16);       \
    a ^= c;                  \
    a -= rol32(c, 4);        \
    b ^= a;                  \
    b -= rol32(a, 14);       \
    c ^= b;                  \
    c -= rol32(b, 24);       \
  }

u64 BENCH_ENTRY(struct ctx *c) {
  u32 a, b, h;
  a = b = h = 0xdeadbeef + (4 << 2) + c->seed;
  a += c->key[0];
  b += c->key[1];
  h += c->key[2];
  JHASH_MIX(a, b, h);
  a += c->key[3];
  JHASH_FINAL(a, b, h);
  return h;
}
