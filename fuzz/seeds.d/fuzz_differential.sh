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
# Callbacks through helper 6 (a small bpf_loop): nested, with a local call, a fault and a budget-heavy
# body, so mutations start from programs that call back.
cat > "$tmp/cb1.s" <<'ASM'
  mov %r6, %r1
  stdw [%r6+0], 0
  mov %r1, 4
  lddw %r2, func(cb)
  mov %r3, %r6
  call 6
  ldxdw %r0, [%r6+0]
  exit
cb:
  mov %r7, %r2
  mov %r1, 3
  lddw %r2, func(inner)
  mov %r3, %r7
  call 6
  ldxdw %r3, [%r7+0]
  add %r3, %r0
  stxdw [%r7+0], %r3
  mov %r0, 0
  exit
inner:
  ldxdw %r3, [%r2+0]
  add %r3, %r1
  stxdw [%r2+0], %r3
  call local leaf
  exit
leaf:
  mov %r0, 0
  exit
ASM
cat > "$tmp/cb2.s" <<'ASM'
  mov %r1, 4
  lddw %r2, func(cb)
  mov %r3, %r1
  call 6
  exit
cb:
  jgt %r1, 2, +2
  mov %r0, 0
  exit
  ldxdw %r0, [%r2]
  exit
ASM
for prog in cb1 cb2; do
  "$bpfrt" asm "$tmp/$prog.s" -o "$tmp/$prog.bin" 2>/dev/null || continue
  { printf '\x00\x08'; head -c 8 /dev/zero; cat "$tmp/$prog.bin"; } > "$dir/callback-$prog"
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
