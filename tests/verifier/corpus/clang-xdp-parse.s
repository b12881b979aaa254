# Compiled from C with clang -O2 -target bpf (map relocations patched to map_fd). Source:
#   #include <linux/bpf.h>
#   #include <linux/if_ether.h>
#   #include <linux/ip.h>
#   #include <linux/in.h>
#   #define SEC(x) __attribute__((section(x), used))
#   static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
#   struct bpf_map_def { unsigned type, key_size, value_size, max_entries, flags; };
#   struct bpf_map_def SEC("maps") counts = { BPF_MAP_TYPE_ARRAY, 4, 8, 256, 0 };
#   SEC("xdp") int count_protocols(struct xdp_md *ctx) {
#     void *data = (void *)(long)ctx->data;
#     void *data_end = (void *)(long)ctx->data_end;
#     struct ethhdr *eth = data;
#     if ((void *)(eth + 1) > data_end) return XDP_PASS;
#     if (eth->h_proto != __builtin_bswap16(ETH_P_IP)) return XDP_PASS;
#     struct iphdr *ip = (void *)(eth + 1);
#     if ((void *)(ip + 1) > data_end) return XDP_PASS;
#     unsigned key = ip->protocol;
#     long *value = bpf_map_lookup_elem(&counts, &key);
#     if (value) __sync_fetch_and_add(value, 1);
#     return XDP_PASS;
#   }
# type: xdp
# map: 1 array 4 8 256
# expect: accept
    ldxw %r2, [%r1+4]
    ldxw %r1, [%r1]
    mov %r3, %r1
    add %r3, 14
    jgt %r3, %r2, +18
    ldxb %r3, [%r1+13]
    lsh %r3, 8
    ldxb %r4, [%r1+12]
    or %r3, %r4
    jne %r3, 8, +13
    mov %r3, %r1
    add %r3, 34
    jgt %r3, %r2, +10
    ldxb %r1, [%r1+23]
    stxw [%r10-4], %r1
    mov %r2, %r10
    add %r2, -4
    lddw %r1, map_fd(1)
    call 1
    jeq %r0, 0, +2
    mov %r1, 1
    lock add [%r0], %r1
    mov %r0, 2
    exit
