# Compiled from C with clang -O2 -target bpf (map relocations patched to map_fd). Source:
#   #include "common.h"
#   #include <linux/if_ether.h>
#   #include <linux/ip.h>
#   #include <linux/tcp.h>
#   #include <linux/in.h>
#   #include <linux/pkt_cls.h>
#   struct bpf_map_def SEC("maps") blocked = { BPF_MAP_TYPE_HASH, 2, 1, 64, 0 };
#   SEC("tc") int drop_blocked_ports(struct __sk_buff *skb) {
#     void *data = (void *)(long)skb->data;
#     void *data_end = (void *)(long)skb->data_end;
#     struct ethhdr *eth = data;
#     if ((void *)(eth + 1) > data_end || eth->h_proto != __builtin_bswap16(ETH_P_IP)) return TC_ACT_OK;
#     struct iphdr *ip = (void *)(eth + 1);
#     if ((void *)(ip + 1) > data_end || ip->protocol != IPPROTO_TCP) return TC_ACT_OK;
#     unsigned ihl = ip->ihl * 4;
#     if (ihl < sizeof(*ip)) return TC_ACT_OK;
#     struct tcphdr *tcp = (void *)ip + ihl;
#     if ((void *)(tcp + 1) > data_end) return TC_ACT_OK;
#     __u16 port = tcp->dest;
#     return bpf_map_lookup_elem(&blocked, &port) ? TC_ACT_SHOT : TC_ACT_OK;
#   }
# type: sched_cls
# map: 1 hash 2 1 64
# expect: accept
    mov %r0, 0
    ldxw %r2, [%r1+80]
    ldxw %r1, [%r1+76]
    mov %r3, %r1
    add %r3, 14
    jgt %r3, %r2, +32
    ldxb %r4, [%r1+13]
    lsh %r4, 8
    ldxb %r5, [%r1+12]
    or %r4, %r5
    jne %r4, 8, +27
    mov %r4, %r1
    add %r4, 34
    jgt %r4, %r2, +24
    ldxb %r4, [%r1+23]
    jne %r4, 6, +22
    ldxb %r3, [%r3]
    lsh %r3, 2
    and %r3, 60
    mov %r4, 20
    jgt %r4, %r3, +17
    add %r1, %r3
    mov %r3, %r1
    add %r3, 34
    jgt %r3, %r2, +13
    add %r1, 14
    ldxh %r1, [%r1+2]
    stxh [%r10-2], %r1
    mov %r2, %r10
    add %r2, -2
    lddw %r1, map_fd(1)
    call 1
    mov %r1, %r0
    mov %r0, 1
    jne %r1, 0, +1
    mov %r0, 0
    lsh %r0, 1
    exit
