# Compiled from C with clang -O2 -target bpf (map relocations patched to map_fd). Source:
#   #include "common.h"
#   struct bpf_map_def SEC("maps") table = { BPF_MAP_TYPE_ARRAY, 4, 64, 1, 0 };
#   SEC("kprobe") int index_by_arg(unsigned long *regs) {
#     __u32 zero = 0;
#     __u8 *v = bpf_map_lookup_elem(&table, &zero);
#     if (!v) return 0;
#     unsigned long i = regs[14];   /* di: a value the program does not control */
#     return v[i];                  /* bug: no bound on i */
#   }
# type: kprobe
# map: 1 array 4 64 1
# expect: reject register with unbounded min value is not allowed
    mov %r7, %r1
    mov %r6, 0
    stxw [%r10-4], %r6
    mov %r2, %r10
    add %r2, -4
    lddw %r1, map_fd(1)
    call 1
    jeq %r0, 0, +3
    ldxdw %r1, [%r7+112]
    add %r0, %r1
    ldxb %r6, [%r0]
    mov %r0, %r6
    exit
