#!/usr/bin/env bash
# End-to-end checks of bpfrt load / unload / run OBJ.o with maps / diff, and their errors: a registry
# name clash, a program the verifier refuses (with its log), bad --set, a corrupt object, the example
# object of the main job. Usage: load_cli_test.sh BPFRT CORPUS_DIR EXAMPLE_OBJ PACKET
set -u
BPFRT=$1
CORPUS=$2
EXAMPLE=$3
PKT=$4
failures=0
if [ ! -f "$CORPUS/map_hash.bpf.o" ] || [ ! -f "$EXAMPLE" ]; then
  echo "SKIP: the BPF corpus or the example object was not built"
  exit 0
fi
tmp=$(mktemp -d)
reg="bpfrt-loadtest-$$"
trap 'rm -rf "$tmp"; "$BPFRT" registry remove --registry "$reg" > /dev/null 2>&1' EXIT
source "$(dirname "$0")/expect.sh"

# Loading into a registry: maps qualified by the object name, programs verified.
expect_output load "prog [0-9]*: map_hash.xdp_flows (xdp, section xdp), verified" "$BPFRT" load "$CORPUS/map_hash.bpf.o" --registry "$reg"
expect_output load_maps "map_hash.flows" "$BPFRT" map list --registry "$reg"
expect_output load_progs "map_hash.xdp_flows" "$BPFRT" prog list --registry "$reg"
expect_error load_clash "already has a map named 'map_hash.flows'" "$BPFRT" load "$CORPUS/map_hash.bpf.o" --registry "$reg"
expect_output load_other_name "loaded .* as 'second'" "$BPFRT" load "$CORPUS/map_hash.bpf.o" --registry "$reg" --name second
# run with --registry uses (and keeps) the registry's maps: two runs count twice.
expect_output run_registry "retval: 0x2" "$BPFRT" run "$CORPUS/map_hash.bpf.o" --registry "$reg" --data-in "$PKT"
expect_output run_registry_again "value: 02 00 00 00 00 00 00 00" "$BPFRT" run "$CORPUS/map_hash.bpf.o" --registry "$reg" --data-in "$PKT" --show-maps
expect_output map_dump "value: 02 00 00 00 00 00 00 00" "$BPFRT" map dump map_hash.flows --registry "$reg"
expect_output unload "removed 3 objects named map_hash" "$BPFRT" unload map_hash --registry "$reg"
expect_error unload_again "no programs or maps named 'map_hash" "$BPFRT" unload map_hash --registry "$reg"
# .rodata is frozen: userspace may not write it after load.
expect_output load_global "xdp_counter.rodata" "$BPFRT" load "$EXAMPLE" --registry "$reg" --set blocked_udp_port=53
expect_error rodata_frozen "not permitted" "$BPFRT" map update xdp_counter.rodata --registry "$reg" --key "00 00 00 00" --value "00 00"
# The verifier refuses: the load fails, names the program and shows the log; nothing stays behind.
expect_error refused "R[0-9] invalid mem access\|invalid access to packet" "$BPFRT" load "$CORPUS/bad/unchecked_packet.bpf.o" --registry "$reg"
expect_error refused_names "section 'xdp'.*xdp_unchecked" "$BPFRT" load "$CORPUS/bad/unchecked_packet.bpf.o" --registry "$reg"
expect_output refused_kept "xdp_counter.rodata" "$BPFRT" map list --registry "$reg"
# A failed load or run removes the registry it created (an existing one stays, above).
for cmd in load run; do
  expect_error "refused_fresh_$cmd" "the verifier refused" "$BPFRT" $cmd "$CORPUS/bad/unchecked_packet.bpf.o" --registry "$reg-fresh"
  if [ -e "/dev/shm/$reg-fresh" ]; then
    echo "FAIL refused_fresh_$cmd: the failed $cmd left registry $reg-fresh behind"
    failures=$((failures + 1))
    "$BPFRT" registry remove --registry "$reg-fresh" > /dev/null 2>&1
  fi
done
expect_error refused_run "the verifier refused" "$BPFRT" run "$CORPUS/bad/unchecked_packet.bpf.o" --data-in "$PKT"
expect_output no_verify_warns "WARNING: --no-verify" "$BPFRT" run "$CORPUS/bad/unchecked_packet.bpf.o" --data-in "$PKT" --no-verify
# Bad input.
expect_error set_unknown "no global variable 'nope' (globals: blocked_udp_port, dropped)" "$BPFRT" run "$EXAMPLE" --data-in "$PKT" --set nope=1
expect_error set_range "does not fit in its 2 bytes" "$BPFRT" run "$EXAMPLE" --data-in "$PKT" --set blocked_udp_port=70000
expect_error set_syntax "expected NAME=VALUE" "$BPFRT" run "$EXAMPLE" --data-in "$PKT" --set blocked_udp_port
head -c 300 "$EXAMPLE" > "$tmp/corrupt.o"
expect_error corrupt "corrupt.o" "$BPFRT" load "$tmp/corrupt.o" --registry "$reg"
expect_error unknown_section "section 'not_a_program_type/foo'" "$BPFRT" load "$CORPUS/bad/unknown_section.bpf.o" --registry "$reg"
expect_error diff_which "has 2 programs\|name one" "$BPFRT" diff "$CORPUS/subprog_global.bpf.o" --no-kernel
# The main job's example, private maps.
expect_output example_drop "retval: 0x1 (1)" "$BPFRT" run "$EXAMPLE" --data-in "$PKT" --repeat 3 --set blocked_udp_port=53 --show-maps
expect_output example_count "key: 11 00 00 00  value: 03 00 00 00 00 00 00 00 7e 00 00 00 00 00 00 00" "$BPFRT" run "$EXAMPLE" --data-in "$PKT" --repeat 3 --show-maps
expect_output example_pass "retval: 0x2 (2)" "$BPFRT" run "$EXAMPLE" --engine jit --data-in "$PKT" --set blocked_udp_port=54
expect_output diff_no_kernel "no differences (2 engines compared)" "$BPFRT" diff "$EXAMPLE" --data-in "$PKT" --no-kernel
if [ "$(id -u)" = 0 ]; then
  expect_output example_kernel "retval: 0x1 (1)" "$BPFRT" run "$EXAMPLE" --target kernel --data-in "$PKT" --set blocked_udp_port=53
  expect_output diff_kernel "no differences (3 engines compared)" "$BPFRT" diff "$EXAMPLE" --data-in "$PKT" --set blocked_udp_port=53
  # --target shared: the kernel's 2 runs and bpfrt's 2 (JIT, on the kernel's maps) count in the same hash map.
  for engine in interp jit; do
    expect_output "shared_$engine" "key: 2a 00 00 00  value: 04 00 00 00 00 00 00 00" "$BPFRT" run \
      "$CORPUS/shared_kinds.bpf.o" --target shared --engine $engine --data-in "$PKT" --repeat 2 --show-maps
  done
  expect_error shared_refused "kernel map 'lengths' (queue" "$BPFRT" run "$CORPUS/map_queue_stack.bpf.o" --target shared --data-in "$PKT"
  # Raw tracepoints in the kernel: their u64 arguments as the context, run one at a time; no packet.
  printf '\x07\x00\x00\x00\x00\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00' > "$tmp/raw.ctx"
  head -c 100 /dev/zero > "$tmp/raw100.ctx"
  expect_output raw_tp_kernel "retval: 0xdc (220)" "$BPFRT" run "$CORPUS/raw_tp_args.bpf.o" --target kernel --ctx-in "$tmp/raw.ctx" --repeat 3
  expect_output raw_tp_bpfrt "retval: 0xdc (220)" "$BPFRT" run "$CORPUS/raw_tp_args.bpf.o" --ctx-in "$tmp/raw.ctx"
  expect_error raw_tp_packet "takes no packet data" "$BPFRT" run "$CORPUS/raw_tp_args.bpf.o" --target kernel --data-in "$PKT"
  expect_error raw_tp_too_long "up to 12 u64 arguments (96 bytes), not 100 bytes" "$BPFRT" run "$CORPUS/raw_tp_args.bpf.o" --target kernel --ctx-in "$tmp/raw100.ctx"
else
  expect_error kernel_privilege "needs CAP_BPF" "$BPFRT" run "$EXAMPLE" --target kernel --data-in "$PKT"
fi
[ $failures -eq 0 ] && echo "all load CLI checks passed"
[ $failures -eq 0 ]
