#!/usr/bin/env bash
# Seeds for fuzz_loader: the compiled BPF corpus of the build (good and bad objects).
# Usage: fuzz/seeds.d/fuzz_loader.sh DIR BUILD_DIR
set -euo pipefail
dir=$1
build=$2
found=0
for f in "$build"/tests/bpf/*.bpf.o "$build"/tests/bpf/bad/*.bpf.o; do
  [ -f "$f" ] || continue
  cp "$f" "$dir/$(basename "$(dirname "$f")")_$(basename "$f")"
  found=$((found + 1))
done
if [ "$found" -eq 0 ]; then
  echo "fuzz_loader: no corpus objects under $build/tests/bpf; starting without seeds" >&2
fi
