/* Bad input: a program in a section no loader knows. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("not_a_program_type/foo")
int mystery(void *ctx) { return 0; }

char LICENSE[] SEC("license") = "GPL";
