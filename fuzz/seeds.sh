#!/usr/bin/env bash
# Writes the seed corpus of fuzz target NAME into DIR. Usage: fuzz/seeds.sh NAME DIR BUILD_DIR
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
name=$1
dir=$2
build=$3
vectors="$root/../shared/conformance/tests"
bpfrt="$build/tools/bpfrt/bpfrt"
case "$name" in
  fuzz_bytecode)  # raw bytecode of every conformance vector
    for f in "$vectors"/*.data; do
      "$bpfrt" asm "$f" -o "$dir/$(basename "$f" .data).bin" 2>/dev/null || true
    done ;;
  fuzz_vector)  # the .data files themselves, and the negative ones
    cp "$vectors"/*.data "$dir"/
    cp "$root/../shared/conformance/negative"/*.data "$dir"/ ;;
  *)
    if [ -x "$root/fuzz/seeds.d/$name.sh" ]; then "$root/fuzz/seeds.d/$name.sh" "$dir" "$build"; fi ;;
esac
# Inputs that once failed a target stay in its corpus so a regression shows up at once.
if [ -d "$root/fuzz/regressions/$name" ]; then cp "$root/fuzz/regressions/$name"/* "$dir"/; fi
