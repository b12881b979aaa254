/* bpf_loop with a static callback: the callback's address is an lddw of a function (func
 * relocation), appended to the program like a called subprogram. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct loop_ctx {
  __u64 sum;
  __u32 limit;
};

static int add_index(__u32 index, void *data) {
  struct loop_ctx *c = data;
  c->sum += index * index;
  return index >= c->limit ? 1 : 0;
}

SEC("syscall")
int sum_squares(struct loop_ctx *ctx) {
  struct loop_ctx c = {.sum = 0, .limit = ctx->limit};
  bpf_loop(1000, add_index, &c, 0);
  ctx->sum = c.sum;
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
