/* Maps in the legacy "maps" section (struct bpf_map_def, pre-BTF). libbpf 1.x refuses these; bpfrt
 * still reads them. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_map_def_legacy {
  unsigned int type;
  unsigned int key_size;
  unsigned int value_size;
  unsigned int max_entries;
  unsigned int map_flags;
};

struct bpf_map_def_legacy SEC("maps") counters = {
    .type = BPF_MAP_TYPE_ARRAY,
    .key_size = sizeof(__u32),
    .value_size = sizeof(__u64),
    .max_entries = 16,
};

struct bpf_map_def_legacy SEC("maps") table = {
    .type = BPF_MAP_TYPE_HASH,
    .key_size = sizeof(__u64),
    .value_size = sizeof(__u32),
    .max_entries = 1024,
    .map_flags = BPF_F_NO_PREALLOC,
};

SEC("socket")
int legacy_counter(struct __sk_buff *skb) {
  __u32 key = skb->protocol & 15;
  __u64 *v = bpf_map_lookup_elem(&counters, &key);
  if (v)
    __sync_fetch_and_add(v, 1);
  __u64 k = skb->len;
  __u32 one = 1;
  bpf_map_update_elem(&table, &k, &one, BPF_ANY);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
__u32 _version SEC("version") = 0x060100;
