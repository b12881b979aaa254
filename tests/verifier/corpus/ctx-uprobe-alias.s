# uprobe programs are kprobe programs: the same pt_regs context.
# type: uprobe
# expect: accept
    ldxdw %r0, [%r1+80]
    exit
