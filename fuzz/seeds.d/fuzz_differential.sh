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
# Byte-by-byte reassemblies and masks held in registers, which the JIT's fast copies rewrite (wide
# loads, immediates, dead code): mutations around them probe the rewrites' conditions.
cat > "$tmp/combine1.s" <<'ASM'
  ldxb %r4, [%r1+13]
  ldxb %r3, [%r1+12]
  lsh %r3, 8
  or %r3, %r4
  mov %r4, 14
  ldxb %r2, [%r1+0]
  lsh %r2, 24
  ldxb %r5, [%r1+1]
  lsh %r5, 16
  or %r5, %r2
  ldxb %r2, [%r1+2]
  lsh %r2, 8
  or %r5, %r2
  ldxb %r2, [%r1+3]
  or %r5, %r2
  lsh %r3, 32
  xor %r3, %r5
  add %r3, %r4
  mov %r0, %r3
  exit
ASM
cat > "$tmp/combine2.s" <<'ASM'
  ldxb %r0, [%r1+8]
  ldxb %r2, [%r1+9]
  lsh %r2, 8
  or %r0, %r2
  ldxh %r3, [%r1+10]
  lsh %r3, 16
  or %r0, %r3
  ldxb %r4, [%r1+4]
  stb [%r1+5], 7
  ldxb %r5, [%r1+5]
  lsh %r4, 8
  or32 %r4, %r5
  and %r4, 0xffff
  jeq %r4, 0, +1
  xor %r0, %r4
  exit
ASM
cat > "$tmp/combine3.s" <<'ASM'
  ldxdw %r3, [%r1+0]
  lddw %r2, 0xf0000000
  mov %r4, %r3
  and %r4, %r2
  rsh %r4, 28
  mov %r0, %r3
  lsh %r0, 4
  or %r0, %r4
  lddw %r5, 0xffff0000
  mov %r6, %r0
  and32 %r6, %r5
  rsh %r6, 16
  xor %r0, %r6
  exit
ASM
for prog in combine1 combine2 combine3; do
  "$bpfrt" asm "$tmp/$prog.s" -o "$tmp/$prog.bin" 2>/dev/null || continue
  { printf '\x00\x20'; printf '\x45\x00\x00\x3c\x12\x34\x40\x00\x40\x06\x81\x00\x08\x00\x0a\x01\xc3\x50\x01\xbb\xde\xad\xbe\xef\xf0\x0f\x55\xaa\x80\x7f\x01\xfe'; cat "$tmp/$prog.bin"; } > "$dir/$prog"
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
