/* BPF_MAP_TYPE_PERF_EVENT_ARRAY: bpf_perf_event_output of a sample per packet, from tc. */
#include "packet.h"

struct {
  __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
  __uint(key_size, sizeof(__u32));
  __uint(value_size, sizeof(__u32));
} samples SEC(".maps");

SEC("tc")
int tc_sample(struct __sk_buff *skb) {
  __u64 sample[2] = {skb->len, skb->protocol};
  bpf_perf_event_output(skb, &samples, BPF_F_CURRENT_CPU, sample, sizeof(sample));
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
