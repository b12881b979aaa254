#!/usr/bin/env bash
# Seeds for fuzz_differential: every conformance vector as [flags=0][memory length][memory][bytecode],
# plus a few generated-mode inputs. Usage: fuzz_differential.sh DIR BUILD_DIR
set -euo pipefail
dir=$1
build=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
vectors="$root/../shared/conformance/tests"
bpfrt="$build/tools/bpfrt/bpfrt"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in "$vectors"/*.data; do
  name=$(basename "$f" .data)
  "$bpfrt" asm "$f" -o "$tmp/prog.bin" 2>/dev/null || continue
  mem=$(awk '/^-- mem/{m=1;next} /^--/{m=0} m' "$f" | tr -s ' \n' ' ')
  count=$(printf '%s' "$mem" | wc -w)
  [ "$count" -le 255 ] || continue
  {
    printf '\x00'
    printf "\\x$(printf '%02x' "$count")"
    for byte in $mem; do printf "\\x$byte"; done
    cat "$tmp/prog.bin"
  } > "$dir/$name"
done
# Generated mode with each flag combination over a fixed pseudo-random byte pattern.
pattern=""
x=7
for _ in $(seq 1 512); do
  x=$(( (x * 1103515245 + 12345) % 2147483648 ))
  pattern="$pattern\\x$(printf '%02x' $(( (x >> 16) & 255 )))"
done
for flags in 01 03 05 09 0f; do
  { printf "\\x$flags\\x10"; head -c 16 /dev/zero; printf "$pattern"; } > "$dir/generated-$flags"
done
