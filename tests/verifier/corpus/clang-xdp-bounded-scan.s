# Compiled from C with clang -O2 -target bpf (map relocations patched to map_fd). Source:
#   #include "common.h"
#   struct bpf_map_def SEC("maps") stats = { BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0 };
#   SEC("xdp") int count_zero_bytes(struct xdp_md *ctx) {
#     __u8 *data = (void *)(long)ctx->data;
#     __u8 *data_end = (void *)(long)ctx->data_end;
#     __u64 zeros = 0;
#     for (int i = 0; i < 64; i++) {
#       if (data + i + 1 > data_end) break;
#       zeros += data[i] == 0;
#     }
#     __u32 key = 0;
#     __u64 *total = bpf_map_lookup_elem(&stats, &key);
#     if (total) __sync_fetch_and_add(total, zeros);
#     return XDP_PASS;
#   }
# type: xdp
# map: 1 array 4 8 1
# expect: accept
    mov %r2, 0
    ldxw %r3, [%r1+4]
    ldxw %r1, [%r1]
    mov %r6, 0
    ja +13
    add %r6, %r4
    add %r2, 1
    jne %r2, 64, +10
    mov %r1, 0
    stxw [%r10-4], %r1
    mov %r2, %r10
    add %r2, -4
    lddw %r1, map_fd(1)
    call 1
    jeq %r0, 0, +12
    lock add [%r0], %r6
    ja +10
    mov %r4, %r1
    add %r4, %r2
    mov %r5, %r4
    add %r5, 1
    jgt %r5, %r3, -15
    ldxb %r5, [%r4]
    mov %r4, 1
    jeq %r5, 0, -21
    mov %r4, 0
    ja -23
    mov %r0, 2
    exit
