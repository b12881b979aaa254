/* Unsupported input: an extern resolved from the kernel config (.kconfig). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern int LINUX_KERNEL_VERSION __kconfig;

SEC("xdp")
int uses_kconfig(struct xdp_md *ctx) { return LINUX_KERNEL_VERSION > 0 ? XDP_PASS : XDP_DROP; }

char LICENSE[] SEC("license") = "GPL";
