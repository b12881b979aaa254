# Compiled from C with clang -O2 -target bpf (map relocations patched to map_fd). Source:
#   #include "common.h"
#   struct event { __u32 pid; __u64 ts; char comm[16]; char arg[32]; };
#   struct bpf_map_def SEC("maps") events = { BPF_MAP_TYPE_RINGBUF, 0, 0, 4096, 0 };
#   SEC("tracepoint") int on_exec(void *ctx) {
#     struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
#     if (!e) return 0;
#     e->pid = bpf_get_current_pid_tgid() >> 32;
#     e->ts = bpf_ktime_get_ns();
#     bpf_get_current_comm(e->comm, sizeof(e->comm));
#     const char *filename = *(const char **)((char *)ctx + 16);
#     if (bpf_probe_read_kernel_str(e->arg, sizeof(e->arg), filename) < 0) {
#       bpf_ringbuf_discard(e, 0);
#       return 0;
#     }
#     bpf_ringbuf_submit(e, 0);
#     return 0;
#   }
# type: tracepoint
# map: 1 ringbuf 0 0 4096
# expect: accept
    mov %r7, %r1
    lddw %r1, map_fd(1)
    mov %r2, 64
    mov %r3, 0
    call 131
    mov %r6, %r0
    jeq %r6, 0, +22
    call 14
    rsh %r0, 32
    stxw [%r6], %r0
    call 5
    stxdw [%r6+8], %r0
    mov %r1, %r6
    add %r1, 16
    mov %r2, 16
    call 16
    mov %r1, %r6
    add %r1, 32
    ldxdw %r3, [%r7+16]
    mov %r2, 32
    call 115
    jsgt %r0, -1, +4
    mov %r1, %r6
    mov %r2, 0
    call 133
    ja +3
    mov %r1, %r6
    mov %r2, 0
    call 132
    mov %r0, 0
    exit
