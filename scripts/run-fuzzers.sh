#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD_DIR/fuzz for SECONDS each, seeded from fuzz/seeds.sh.
# Usage: scripts/run-fuzzers.sh BUILD_DIR [SECONDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$1
seconds=${2:-60}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for fuzzer in "$build"/fuzz/fuzz_*; do
  [ -x "$fuzzer" ] || continue
  name=$(basename "$fuzzer")
  corpus="$work/$name"
  mkdir -p "$corpus"
  bash "$root/fuzz/seeds.sh" "$name" "$corpus" "$build"
  echo "== $name for ${seconds}s ($(ls "$corpus" | wc -l) seeds)"
  if ! "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
      -artifact_prefix="$work/$name-" "$corpus" > "$work/$name.log" 2>&1; then
    echo "!! $name failed:"
    tail -60 "$work/$name.log"
    for artifact in "$work/$name"-*; do
      [ -f "$artifact" ] && { echo "-- artifact $artifact (base64):"; base64 "$artifact"; }
    done
    status=1
  else
    grep -E 'stat::number_of_executed_units|Done' "$work/$name.log" | tail -2
  fi
done
exit $status
