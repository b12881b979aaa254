# Compiled from C with clang -O2 -target bpf (map relocations patched to map_fd). Source:
#   #include "common.h"
#   struct bpf_map_def SEC("maps") events = { BPF_MAP_TYPE_RINGBUF, 0, 0, 4096, 0 };
#   SEC("tracepoint") int leak_on_error(void *ctx) {
#     __u64 *e = bpf_ringbuf_reserve(&events, 8, 0);
#     if (!e) return 0;
#     *e = bpf_ktime_get_ns();
#     if (*e & 1) return 1;   /* bug: the reservation is neither submitted nor discarded here */
#     bpf_ringbuf_submit(e, 0);
#     return 0;
#   }
# type: tracepoint
# map: 1 ringbuf 0 0 4096
# expect: reject Unreleased reference
    mov %r6, 0
    lddw %r1, map_fd(1)
    mov %r2, 8
    mov %r3, 0
    call 131
    mov %r7, %r0
    jeq %r7, 0, +9
    call 5
    stxdw [%r7], %r0
    mov %r6, 1
    and %r0, 1
    jne %r0, 0, +4
    mov %r6, 0
    mov %r1, %r7
    mov %r2, 0
    call 132
    mov %r0, %r6
    exit
