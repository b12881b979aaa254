/* A BPF_PROG_TYPE_SYSCALL program: the context is a caller-defined struct (ctx_in), read and written
 * back (ctx_out). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct args {
  __u64 a;
  __u64 b;
  __u32 op;
  __u32 flags;
  __u64 result;
};

SEC("syscall")
int compute(struct args *ctx) {
  __u64 r;
  switch (ctx->op) {
    case 0:
      r = ctx->a + ctx->b;
      break;
    case 1:
      r = ctx->a * ctx->b;
      break;
    case 2:
      r = ctx->b ? ctx->a / ctx->b : 0;
      break;
    case 3:
      r = ctx->b ? ctx->a % ctx->b : ctx->a;
      break;
    default:
      return -1;
  }
  ctx->result = r;
  ctx->flags |= 1;
  return (int)(r & 0x7fffffff);
}

char LICENSE[] SEC("license") = "GPL";
