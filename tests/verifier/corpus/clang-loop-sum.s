# Compiled from C with clang -O2 -target bpf (map relocations patched to map_fd). Source:
#   #include "common.h"
#   struct bpf_map_def SEC("maps") samples = { BPF_MAP_TYPE_ARRAY, 4, 128, 1, 0 };
#   SEC("raw_tracepoint") int sum_samples(void *ctx) {
#     __u32 zero = 0;
#     __u64 *v = bpf_map_lookup_elem(&samples, &zero);
#     if (!v) return 0;
#     __u64 sum = 0;
#   #pragma clang loop unroll(disable)
#     for (int i = 0; i < 16; i++) {
#       sum += v[i];
#     }
#     __u64 n = *(__u64 *)ctx;
#     if (n < 16) sum += v[n];
#     return sum > 100;
#   }
# type: raw_tracepoint
# map: 1 array 4 128 1
# expect: accept
    mov %r6, %r1
    mov %r7, 0
    stxw [%r10-4], %r7
    mov %r2, %r10
    add %r2, -4
    lddw %r1, map_fd(1)
    call 1
    jeq %r0, 0, +22
    mov %r2, 0
    mov %r3, 0
    mov %r1, %r0
    add %r1, %r2
    ldxdw %r1, [%r1]
    add %r1, %r3
    add %r2, 8
    mov %r3, %r1
    jeq %r2, 128, +1
    ja -8
    ldxdw %r2, [%r6]
    mov %r3, 16
    jgt %r3, %r2, +1
    ja +5
    lsh %r2, 3
    add %r0, %r2
    ldxdw %r2, [%r0]
    add %r2, %r1
    mov %r1, %r2
    mov %r7, 1
    jgt %r1, 100, +1
    mov %r7, 0
    mov %r0, %r7
    exit
