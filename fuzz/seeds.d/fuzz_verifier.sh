#!/usr/bin/env bash
# Seeds for fuzz_verifier: every verifier corpus program and conformance vector as
# [40-byte header][bytecode] (see the header layout in fuzz/fuzz_verifier.cpp).
# Usage: fuzz/seeds.d/fuzz_verifier.sh DIR BUILD_DIR
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=$1
bpfrt="$2/tools/bpfrt/bpfrt"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

type_index() {
  case "$1" in
    socket_filter|socket) echo 1 ;; kprobe|uprobe) echo 2 ;; sched_cls|tc) echo 3 ;; tracepoint|tp) echo 4 ;;
    xdp) echo 5 ;; perf_event) echo 6 ;; raw_tracepoint|raw_tp) echo 7 ;; syscall) echo 8 ;; *) echo 0 ;;
  esac
}
map_index() {
  case "$1" in
    hash) echo 0 ;; array) echo 1 ;; percpu_array) echo 2 ;; ringbuf) echo 3 ;; queue) echo 4 ;; prog_array) echo 5 ;;
    perf_event_array) echo 6 ;; lru_hash) echo 7 ;; array_of_maps) echo 8 ;; stack) echo 9 ;; *) echo 0 ;;
  esac
}
byte() { printf "\\x$(printf '%02x' $(( $1 & 255 )))"; }
le16() { byte "$1"; byte $(( $1 >> 8 )); }

write_seed() {  # write_seed OUT TYPE_INDEX CTX_SIZE MAP_LINES BYTECODE
  local out=$1 type=$2 ctx=$3 maps=$4 code=$5
  {
    byte "$type"; le16 "$ctx"; byte 64; byte 7; byte 0; byte 0; byte 0
    local n=0
    while read -r fd mtype key value max flags; do
      [ -z "${fd:-}" ] && continue
      [ "$n" -ge 4 ] && break
      local f=0
      case "${flags:-}" in flags=*) f=$(( ${flags#flags=} )) ;; esac
      byte "$(map_index "$mtype")"; byte "$key"; le16 "$value"; le16 "$max"; le16 "$f"
      n=$((n + 1))
    done <<< "$maps"
    while [ "$n" -lt 4 ]; do byte 0; byte 4; le16 8; le16 16; le16 0; n=$((n + 1)); done
    cat "$code"
  } > "$out"
}

for f in "$root"/tests/verifier/corpus/*.s; do
  "$bpfrt" asm "$f" -o "$tmp" 2>/dev/null || continue
  type=$(sed -n 's/^# type: *\([a-z_]*\).*/\1/p' "$f" | head -1)
  ctx=$(sed -n 's/^# ctx: *\([0-9]*\).*/\1/p' "$f" | head -1)
  maps=$(sed -n 's/^# map: *//p' "$f")
  write_seed "$dir/corpus-$(basename "$f" .s).bin" "$(type_index "$type")" "${ctx:-64}" "$maps" "$tmp"
done
for f in "$root"/../shared/conformance/tests/*.data; do
  "$bpfrt" asm "$f" -o "$tmp" 2>/dev/null || continue
  mem=$(awk '/^-- mem/{m=1;next} /^--/{m=0} m' "$f" | wc -w)
  write_seed "$dir/vector-$(basename "$f" .data).bin" 0 "$mem" "" "$tmp"
done
