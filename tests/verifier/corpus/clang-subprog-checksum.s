# Compiled from C with clang -O2 -target bpf (map relocations patched to map_fd). Source:
#   #include "common.h"
#   static __noinline __u32 fold(const __u8 *buf, __u32 len) {
#     __u32 sum = 0;
#     for (__u32 i = 0; i < len && i < 32; i++) sum += buf[i];
#     return sum;
#   }
#   SEC("socket") int checksum(struct __sk_buff *skb) {
#     __u8 buf[32] = {};
#     buf[0] = skb->len;
#     buf[1] = skb->protocol;
#     return fold(buf, skb->len & 31);
#   }
# type: socket_filter
# expect: accept
    mov %r2, 0
    stxb [%r10-1], %r2
    stxb [%r10-2], %r2
    stxb [%r10-3], %r2
    stxb [%r10-4], %r2
    stxb [%r10-5], %r2
    stxb [%r10-6], %r2
    stxb [%r10-7], %r2
    stxb [%r10-8], %r2
    stxb [%r10-9], %r2
    stxb [%r10-10], %r2
    stxb [%r10-11], %r2
    stxb [%r10-12], %r2
    stxb [%r10-13], %r2
    stxb [%r10-14], %r2
    stxb [%r10-15], %r2
    stxb [%r10-16], %r2
    stxb [%r10-17], %r2
    stxb [%r10-18], %r2
    stxb [%r10-19], %r2
    stxb [%r10-20], %r2
    stxb [%r10-21], %r2
    stxb [%r10-22], %r2
    stxb [%r10-23], %r2
    stxb [%r10-24], %r2
    stxb [%r10-25], %r2
    stxb [%r10-26], %r2
    stxb [%r10-27], %r2
    stxb [%r10-28], %r2
    stxb [%r10-29], %r2
    stxb [%r10-30], %r2
    ldxw %r2, [%r1]
    stxb [%r10-32], %r2
    ldxw %r1, [%r1+16]
    stxb [%r10-31], %r1
    and %r2, 31
    mov %r1, %r10
    add %r1, -32
    call local +1
    exit
    mov %r0, 0
    lsh %r2, 32
    rsh %r2, 32
    jeq %r2, 0, +11
    mov %r3, 0
    mov %r4, 31
    mov %r0, 0
    mov %r5, %r3
    mov %r6, %r1
    add %r6, %r5
    ldxb %r6, [%r6]
    add %r0, %r6
    add %r3, 1
    jge %r3, %r2, +1
    jgt %r4, %r5, -8
    exit
