/* Shared by the packet-parsing programs of the corpus: bounds-checked header access. */
#pragma once

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

/* Returns a pointer to `size` bytes at `off` or NULL when the packet is shorter. */
#define PKT_AT(data, data_end, off, size) \
  ((void *)((char *)(data) + (off) + (size)) > (void *)(data_end) ? NULL : (void *)((char *)(data) + (off)))
