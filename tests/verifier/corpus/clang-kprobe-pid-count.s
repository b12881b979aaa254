# Compiled from C with clang -O2 -target bpf (map relocations patched to map_fd). Source:
#   #include "common.h"
#   struct bpf_map_def SEC("maps") calls = { BPF_MAP_TYPE_HASH, 4, 8, 1024, 0 };
#   SEC("kprobe") int count_calls(void *ctx) {
#     __u32 pid = bpf_get_current_pid_tgid() >> 32;
#     __u64 *count = bpf_map_lookup_elem(&calls, &pid);
#     if (count) {
#       __sync_fetch_and_add(count, 1);
#     } else {
#       __u64 one = 1;
#       bpf_map_update_elem(&calls, &pid, &one, BPF_NOEXIST);
#     }
#     return 0;
#   }
# type: kprobe
# map: 1 hash 4 8 1024
# expect: accept
    call 14
    rsh %r0, 32
    stxw [%r10-4], %r0
    mov %r2, %r10
    add %r2, -4
    lddw %r1, map_fd(1)
    call 1
    jeq %r0, 0, +3
    mov %r1, 1
    lock add [%r0], %r1
    ja +10
    mov %r1, 1
    stxdw [%r10-16], %r1
    mov %r2, %r10
    add %r2, -4
    mov %r3, %r10
    add %r3, -16
    lddw %r1, map_fd(1)
    mov %r4, 1
    call 2
    mov %r0, 0
    exit
