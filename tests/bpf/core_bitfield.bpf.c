/* CO-RE bitfield reads (byte offset, byte size, left and right shift, signedness relocations) of the
 * kernel's struct tcphdr, applied to bytes the caller passes in the context. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

SEC("syscall")
int tcp_flags(struct tcphdr *ctx) {
  /* The verifier refuses loads through a moved context pointer: read a copy on the stack. */
  struct tcphdr copy;
  __builtin_memcpy(&copy, ctx, sizeof(copy));
  struct tcphdr *tcp = &copy;
  __u32 r = 0;
  r |= BPF_CORE_READ_BITFIELD(tcp, syn) << 0;
  r |= BPF_CORE_READ_BITFIELD(tcp, ack) << 1;
  r |= BPF_CORE_READ_BITFIELD(tcp, fin) << 2;
  r |= BPF_CORE_READ_BITFIELD(tcp, rst) << 3;
  r |= BPF_CORE_READ_BITFIELD(tcp, doff) << 8;
  r |= BPF_CORE_READ_BITFIELD(tcp, res1) << 12;
  r |= (__u32)BPF_CORE_READ_BITFIELD(tcp, window) << 16;
  return r;
}

char LICENSE[] SEC("license") = "GPL";
