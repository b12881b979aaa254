# Compiled from C with clang -O2 -target bpf (map relocations patched to map_fd). Source:
#   #include "common.h"
#   #include <linux/if_ether.h>
#   #include <linux/ip.h>
#   SEC("xdp") int forgot_ip_check(struct xdp_md *ctx) {
#     void *data = (void *)(long)ctx->data;
#     void *data_end = (void *)(long)ctx->data_end;
#     struct ethhdr *eth = data;
#     if ((void *)(eth + 1) > data_end) return XDP_PASS;
#     struct iphdr *ip = (void *)(eth + 1);
#     /* bug: no check that the IP header fits */
#     return ip->ttl > 1 ? XDP_PASS : XDP_DROP;
#   }
# type: xdp
# expect: reject invalid access to packet
    mov %r0, 2
    ldxw %r2, [%r1+4]
    ldxw %r1, [%r1]
    mov %r3, %r1
    add %r3, 14
    jgt %r3, %r2, +4
    ldxb %r1, [%r1+22]
    mov %r0, 2
    jgt %r1, 1, +1
    mov %r0, 1
    exit
