#!/usr/bin/env bash
# Seeds for fuzz_map_ops: one short random operation sequence per map type. Usage: DIR BUILD_DIR
set -euo pipefail
dir=$1
for t in 0 1 2 3 4 5 6 7; do
  { printf "\\x$(printf '%02x' "$t")"; head -c 512 /dev/urandom; } > "$dir/type$t.bin"
done
