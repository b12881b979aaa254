# Compiled from C with clang -O2 -target bpf (map relocations patched to map_fd). Source:
#   #include "common.h"
#   #include <linux/if_ether.h>
#   struct vlan_hdr { __u16 tci; __u16 proto; };
#   SEC("xdp") int strip_check(struct xdp_md *ctx) {
#     void *data = (void *)(long)ctx->data;
#     void *data_end = (void *)(long)ctx->data_end;
#     struct ethhdr *eth = data;
#     __u64 off = sizeof(*eth);
#     if (data + off > data_end) return XDP_DROP;
#     __u16 proto = eth->h_proto;
#   #pragma clang loop unroll(full)
#     for (int i = 0; i < 2; i++) {
#       if (proto != __builtin_bswap16(ETH_P_8021Q) && proto != __builtin_bswap16(ETH_P_8021AD)) break;
#       struct vlan_hdr *vh = data + off;
#       if ((void *)(vh + 1) > data_end) return XDP_DROP;
#       proto = vh->proto;
#       off += sizeof(*vh);
#     }
#     return proto == __builtin_bswap16(ETH_P_IP) ? XDP_PASS : XDP_DROP;
#   }
# type: xdp
# expect: accept
    mov %r0, 1
    ldxw %r2, [%r1+4]
    ldxw %r1, [%r1]
    mov %r3, %r1
    add %r3, 14
    jgt %r3, %r2, +26
    ldxb %r4, [%r1+12]
    ldxb %r3, [%r1+13]
    lsh %r3, 8
    or %r3, %r4
    jeq %r3, 43144, +1
    jne %r3, 129, +16
    mov %r3, %r1
    add %r3, 18
    jgt %r3, %r2, +17
    ldxb %r4, [%r1+16]
    ldxb %r3, [%r1+17]
    lsh %r3, 8
    or %r3, %r4
    jeq %r3, 43144, +1
    jne %r3, 129, +7
    mov %r3, %r1
    add %r3, 22
    jgt %r3, %r2, +8
    ldxb %r2, [%r1+20]
    ldxb %r3, [%r1+21]
    lsh %r3, 8
    or %r3, %r2
    and %r3, 65535
    mov %r0, 2
    jeq %r3, 8, +1
    mov %r0, 1
    exit
