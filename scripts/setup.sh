#!/usr/bin/env bash
# The main job: install dependencies, build, and run the shipped examples: an assembly program, and
# a BPF object compiled from C by the build (examples/xdp_counter.bpf.c -> build/examples/xdp_counter.bpf.o)
# run on a packet like BPF_PROG_TEST_RUN, with its maps printed afterwards.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bpfrt="$root/build/tools/bpfrt/bpfrt"
bash "$root/scripts/install-deps.sh"
bash "$root/scripts/build.sh"
echo "== bpfrt run examples/fibonacci.s"
"$bpfrt" run "$root/examples/fibonacci.s"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# An Ethernet/IPv4/UDP packet, 10.0.0.1:1234 -> 10.0.0.2:53, 42 bytes.
printf '\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x01\x08\x00\x45\x00\x00\x1c\x00\x01\x00\x00\x40\x11\x00\x00\x0a\x00\x00\x01\x0a\x00\x00\x02\x04\xd2\x00\x35\x00\x08\x00\x00' > "$tmp/udp.pkt"
obj="$root/build/examples/xdp_counter.bpf.o"
echo "== bpfrt run build/examples/xdp_counter.bpf.o --data-in udp.pkt --repeat 3 --set blocked_udp_port=53 --show-maps"
"$bpfrt" run "$obj" --data-in "$tmp/udp.pkt" --repeat 3 --set blocked_udp_port=53 --show-maps
if [ "$(id -u)" = 0 ]; then
  echo "== bpfrt diff build/examples/xdp_counter.bpf.o --data-in udp.pkt --set blocked_udp_port=53 (interpreter, JIT, kernel)"
  "$bpfrt" diff "$obj" --data-in "$tmp/udp.pkt" --set blocked_udp_port=53
fi
