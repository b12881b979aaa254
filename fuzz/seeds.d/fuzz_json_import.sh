#!/usr/bin/env bash
# Seeds for fuzz_json_import: exports of a registry holding every kind of object. Usage: DIR BUILD_DIR
set -euo pipefail
dir=$1
build=$2
bpfrt="$build/tools/bpfrt/bpfrt"
export BPFRT_REGISTRY="bpfrt-seeds-$$"
trap '"$bpfrt" registry remove >/dev/null 2>&1 || true' EXIT
"$bpfrt" map create h --type hash --key-size 4 --value-size 8 --max-entries 8 >/dev/null
"$bpfrt" map update h --key 01000000 --value 0200000000000000
"$bpfrt" map create a --type percpu_array --key-size 4 --value-size 4 --max-entries 2 >/dev/null
"$bpfrt" map update a --key 01000000 --value 07000000
"$bpfrt" map create q --type queue --value-size 4 --max-entries 4 >/dev/null
"$bpfrt" map push q --value 05000000
"$bpfrt" map create l --type lpm_trie --key-size 8 --value-size 4 --max-entries 4 --flags no_prealloc >/dev/null
"$bpfrt" map update l --key "10000000 0a010000" --value 01000000
"$bpfrt" map create b --type bloom_filter --value-size 4 --max-entries 8 >/dev/null
"$bpfrt" map push b --value 01020304
"$bpfrt" map create j --type prog_array --key-size 4 --value-size 4 --max-entries 2 >/dev/null
"$bpfrt" map create m --type array_of_maps --key-size 4 --value-size 4 --max-entries 2 --inner-map h >/dev/null
tmp=$(mktemp -d)
printf 'stw [%%r10-4], 1\nlddw %%r1, map_fd(1)\nmov %%r2, %%r10\nadd %%r2, -4\ncall 1\nmov %%r0, 0\nexit\n' > "$tmp/p.s"
"$bpfrt" prog load "$tmp/p.s" --name p >/dev/null
"$bpfrt" export "$dir/full.json"
rm -rf "$tmp"
printf '{"format":"bpfrt-registry","version":1,"maps":[],"programs":[],"links":[],"perf_events":[]}' > "$dir/empty.json"
# An export of a kernel-backed map (bpfrt load --target shared): import refuses its "kernel" reference.
printf '{"format":"bpfrt-registry","version":1,"maps":[{"handle":1,"name":"o.by_len","type":"hash","key_size":4,"value_size":8,"max_entries":16,"flags":0,"kernel":{"id":7,"name":"by_len","pin":""},"entries":[{"key":"2a000000","value":"0100000000000000"}]}],"programs":[],"links":[],"perf_events":[]}' > "$dir/kernel.json"
