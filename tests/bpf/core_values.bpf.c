/* CO-RE relocations of every kind whose value a program can return, resolved against the running
 * kernel's BTF and stored into the context (a SYSCALL program, so BPF_PROG_TEST_RUN can run it). */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

/* A flavour: matches task_struct by its essential name; the field exists in no kernel. */
struct task_struct___fake {
  int no_such_field_in_any_kernel;
  int pid;
} __attribute__((preserve_access_index));

/* A type that does not exist in the kernel at all. */
struct bpfrt_no_such_type {
  int x;
} __attribute__((preserve_access_index));

enum bpfrt_fake_enum { BPFRT_FAKE_VALUE = 7 };

struct results {
  __u64 v[20];
};

SEC("syscall")
int core_values(struct results *out) {
  out->v[0] = bpf_core_field_offset(struct task_struct, pid);
  out->v[1] = bpf_core_field_size(struct task_struct, comm);
  out->v[2] = bpf_core_field_exists(struct task_struct, pid);
  out->v[3] = bpf_core_field_exists(struct task_struct___fake, no_such_field_in_any_kernel);
  out->v[4] = bpf_core_field_offset(struct task_struct___fake, pid);
  out->v[5] = bpf_core_type_exists(struct task_struct);
  out->v[6] = bpf_core_type_exists(struct bpfrt_no_such_type);
  out->v[7] = bpf_core_type_size(struct sk_buff);
  out->v[8] = bpf_core_enum_value(enum bpf_map_type, BPF_MAP_TYPE_RINGBUF);
  out->v[9] = bpf_core_enum_value_exists(enum bpf_map_type, BPF_MAP_TYPE_BLOOM_FILTER);
  out->v[10] = bpf_core_enum_value_exists(enum bpfrt_fake_enum, BPFRT_FAKE_VALUE);
  out->v[11] = bpf_core_field_offset(struct sk_buff, len);
  out->v[12] = __CORE_RELO((struct task_struct *)0, pid, SIGNED);
  out->v[13] = __CORE_RELO((struct sk_buff *)0, len, SIGNED);
  out->v[14] = bpf_core_field_offset(struct bpf_prog_info, xlated_prog_insns);
  out->v[15] = bpf_core_type_id_local(struct list_head) != 0;
  out->v[16] = bpf_core_field_size(struct iphdr, daddr);
  out->v[17] = bpf_core_field_offset(struct ethhdr, h_proto);
  out->v[18] = bpf_core_type_size(struct task_struct);
  out->v[19] = bpf_core_field_offset(struct mm_struct, mmap_base) != 0;
  return (int)out->v[0];
}

char LICENSE[] SEC("license") = "GPL";
