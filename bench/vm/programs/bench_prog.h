/* Shared by the VM benchmark programs. Each program is one function, BENCH_ENTRY(ctx), compiled twice
 * from the same source: with clang -O2 -target bpf (its .text is the BPF program) and natively.
 * Everything else must be inlined so .text holds a single function with no relocations. */
#ifndef BPFRT_BENCH_PROG_H
#define BPFRT_BENCH_PROG_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef long long s64;

#define INLINE static inline __attribute__((always_inline))

#ifndef BENCH_ENTRY
#define BENCH_ENTRY bench_entry
#endif

#endif
