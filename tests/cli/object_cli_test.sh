#!/usr/bin/env bash
# End-to-end checks of the object commands: object show, run OBJ.o[:PROG], disasm OBJ.o, bad input.
# Usage: object_cli_test.sh BPFRT CORPUS_DIR
set -u
BPFRT=$1
CORPUS=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
if [ ! -f "$CORPUS/xdp_parse_eth.bpf.o" ]; then
  echo "SKIP: the BPF corpus was not built in $CORPUS"
  exit 0
fi
source "$(dirname "$0")/expect.sh"

# An IPv4/UDP packet to port 53 and an IPv6 one.
printf '\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x01\x08\x00\x45\x00\x00\x1c\x00\x01\x00\x00\x40\x11\x00\x00\x0a\x00\x00\x01\x0a\x00\x00\x02\x04\xd2\x00\x35\x00\x08\x00\x00' > "$tmp/udp.pkt"
printf '\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x01\x86\xdd\x60\x00\x00\x00\x00\x08\x11\x40' > "$tmp/v6.pkt"
head -c 40 /dev/zero >> "$tmp/v6.pkt"

expect_output show "xdp_by_ethertype: section \"xdp\", type xdp" "$BPFRT" object show "$CORPUS/xdp_parse_eth.bpf.o"
expect_output show_maps "outer_array: array_of_maps" "$BPFRT" object show "$CORPUS/map_in_map.bpf.o"
expect_output show_json '"type": "array_of_maps"' "$BPFRT" object show -j "$CORPUS/map_in_map.bpf.o"
expect_output show_json_relocs '"kind": "map_value"' "$BPFRT" object show --json "$CORPUS/global_data.bpf.o"
expect_output run_xdp "retval: 0x2 (2)" "$BPFRT" run "$CORPUS/xdp_parse_eth.bpf.o" --data-in "$tmp/udp.pkt"
expect_output run_xdp_v6 "retval: 0x1 (1)" "$BPFRT" run "$CORPUS/xdp_parse_eth.bpf.o" --data-in "$tmp/v6.pkt"
expect_output run_data_out "0010: 00 1c 00 01 00 00 3f" "$BPFRT" run "$CORPUS/xdp_ipv4_ttl.bpf.o" --data-in "$tmp/udp.pkt"
expect_output run_repeat "mean of 100 runs" "$BPFRT" run "$CORPUS/xdp_pass.bpf.o" --data-in "$tmp/udp.pkt" --repeat 100
expect_output run_prog "retval:" "$BPFRT" run "$CORPUS/subprog_global.bpf.o:tc_scaled_len" --data-in "$tmp/udp.pkt"
# array lookups inline in the JIT: the counter of ethertype 0x0800 (key 0) counts every run
expect_output run_array_jit "key: 00 00 00 00  value: 05 00 00 00 00 00 00 00" "$BPFRT" run "$CORPUS/map_array.bpf.o" \
  --data-in "$tmp/udp.pkt" --engine jit --repeat 5 --show-maps
expect_output run_section "retval: 0x2 (2)" "$BPFRT" run "$CORPUS/xdp_parse_eth.bpf.o:xdp" --data-in "$tmp/udp.pkt"
"$BPFRT" run "$CORPUS/xdp_ipv4_ttl.bpf.o" --data-in "$tmp/udp.pkt" --data-out "$tmp/out.pkt" > /dev/null
[ "$(od -An -tx1 -j22 -N1 "$tmp/out.pkt" | tr -d ' ')" = "3f" ] || { echo "FAIL data_out file"; failures=$((failures + 1)); }
expect_error run_which "choose one with" "$BPFRT" run "$CORPUS/subprog_global.bpf.o" --data-in "$tmp/udp.pkt"
expect_error run_unknown "no program 'nope'; programs: xdp_scaled_len" "$BPFRT" run "$CORPUS/subprog_global.bpf.o:nope"
expect_output run_maps "key: 0a 00 00 01  value: 03 00 00 00" "$BPFRT" run "$CORPUS/map_hash.bpf.o" --data-in "$tmp/udp.pkt" --repeat 3 --show-maps
expect_output run_maps_jit "Found 1 element" "$BPFRT" run "$CORPUS/map_hash.bpf.o" --engine jit --data-in "$tmp/udp.pkt" --show-maps
expect_error run_short "Ethernet header" "$BPFRT" run "$CORPUS/xdp_pass.bpf.o" --data-in /dev/null
printf 'mov %%r0, 1\nexit\n' > "$tmp/one.s"
expect_error run_data_for_asm "apply to BPF objects" "$BPFRT" run "$tmp/one.s" --data-in "$tmp/udp.pkt"
expect_output disasm "call local" "$BPFRT" disasm "$CORPUS/subprog_static.bpf.o"
expect_output disasm_labels "^hash_bytes:" "$BPFRT" disasm "$CORPUS/subprog_static.bpf.o"
expect_output disasm_prog "; program tc_scaled_len" "$BPFRT" disasm "$CORPUS/subprog_global.bpf.o:tc_scaled_len"
expect_output disasm_maps "map_idx(0)" "$BPFRT" disasm "$CORPUS/map_hash.bpf.o"
expect_error bad_section "section 'not_a_program_type/foo'" "$BPFRT" object show "$CORPUS/bad/unknown_section.bpf.o"
head -c 100 "$CORPUS/xdp_pass.bpf.o" > "$tmp/truncated.o"
expect_error truncated "truncated.o" "$BPFRT" object show "$tmp/truncated.o"
expect_error missing "cannot open" "$BPFRT" object show "$tmp/none.o"

if [ "$failures" -ne 0 ]; then
  echo "$failures object CLI check(s) failed"
  exit 1
fi
echo "object CLI checks passed"
