#!/usr/bin/env bash
# End-to-end checks of the CLI: asm/disasm round trip, run options, and clear errors on bad input.
set -u
BPFRT=$1
SHARED=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
check() {  # check NAME EXPECTED ACTUAL
  if [ "$2" != "$3" ]; then
    echo "FAIL $1: expected [$2], got [$3]"
    failures=$((failures + 1))
  fi
}
expect_error() {  # expect_error NAME PATTERN COMMAND...
  name=$1
  pattern=$2
  shift 2
  if out=$("$@" 2>&1); then
    echo "FAIL $name: succeeded: $out"
    failures=$((failures + 1))
  elif ! printf '%s' "$out" | grep -q -- "$pattern"; then
    echo "FAIL $name: message [$out] lacks [$pattern]"
    failures=$((failures + 1))
  fi
}

# asm -> raw bytes -> disasm -> asm gives the same bytes.
"$BPFRT" asm "$SHARED/conformance/tests/subnet.data" -o "$tmp/subnet.bin" || failures=$((failures + 1))
"$BPFRT" disasm "$tmp/subnet.bin" > "$tmp/subnet.s"
"$BPFRT" asm "$tmp/subnet.s" -o "$tmp/subnet2.bin"
cmp -s "$tmp/subnet.bin" "$tmp/subnet2.bin" || { echo "FAIL asm/disasm round trip"; failures=$((failures + 1)); }
mem=$(awk '/^-- mem/{m=1;next} /^--/{m=0} m' "$SHARED/conformance/tests/subnet.data" | tr '\n' ' ')
check "run raw bytecode with --mem" "0x1" "$("$BPFRT" run "$tmp/subnet.bin" --mem "$mem")"
escaped=""
for byte in $mem; do escaped="$escaped\\x$byte"; done
printf "$escaped" > "$tmp/subnet.mem"
check "run raw bytecode with --mem-file" "0x1" "$("$BPFRT" run "$tmp/subnet.bin" --mem-file "$tmp/subnet.mem")"
check "run .data" "0x1" "$("$BPFRT" run "$SHARED/conformance/tests/subnet.data")"
printf 'mov %%r0, %%r2\nexit\n' > "$tmp/len.s"
check "run --mem" "0x3" "$("$BPFRT" run "$tmp/len.s" --mem '01 02 03')"
check "asm hex output" "b7 00 00 00 01 00 00 00" "$(printf 'mov %%r0, 1\nexit\n' > "$tmp/one.s"; "$BPFRT" asm "$tmp/one.s" | head -1)"

# Bad input: clear messages, non-zero exit, no crash.
printf 'mov %%r0, 1\nfrob %%r0\nexit\n' > "$tmp/bad.s"
expect_error "bad mnemonic" "bad.s: line 2: invalid mnemonic 'frob'" "$BPFRT" run "$tmp/bad.s"
printf '\377\000\000\000\000\000\000\000' > "$tmp/bad.bin"
expect_error "unknown opcode" "instruction 0 (opcode 0xff): unknown opcode" "$BPFRT" run "$tmp/bad.bin"
expect_error "missing file" "cannot open" "$BPFRT" run "$tmp/nope.s"
expect_error "bad memory hex" "invalid hex bytes" "$BPFRT" run "$tmp/len.s" --mem 'zz'
printf 'loop: ja loop\n' > "$tmp/loop.s"
printf 'ldxdw %%r0, [%%r1+100]\nexit\n' > "$tmp/oob.s"
# The verifier refuses both before they run...
expect_error "verifier: infinite loop" "infinite loop detected at insn 0" "$BPFRT" run "$tmp/loop.s" --budget 100
expect_error "verifier: out of bounds" "invalid access to context, ctx_size=1 off=100 size=8" \
  "$BPFRT" run "$tmp/oob.s" --mem '00'
# ...and without it the engine's run-time checks still stop them, after a loud warning.
expect_error "budget" "instruction budget of 100 exhausted" "$BPFRT" run "$tmp/loop.s" --budget 100 --no-verify
expect_error "out of bounds" "out-of-bounds read of 8 bytes" "$BPFRT" run "$tmp/oob.s" --mem '00' --no-verify
expect_error "no-verify warns" "WARNING: --no-verify" "$BPFRT" run "$tmp/oob.s" --mem '00' --no-verify

# bpfrt verify: OK or the kernel-style log, exit 0 or 1.
check "verify OK" "OK" "$("$BPFRT" verify "$tmp/len.s")"
check "verify .data" "OK" "$("$BPFRT" verify "$SHARED/conformance/tests/subnet.data")"
expect_error "verify refusal" "R0 !read_ok" "$BPFRT" verify "$SHARED/conformance/negative/error.data"
if ! "$BPFRT" verify "$tmp/len.s" --stats | grep -q "processed 2 insns"; then
  echo "FAIL verify --stats lacks the processed-instructions count"
  failures=$((failures + 1))
fi
printf 'r: ldxw %%r0, [%%r1+0]\nexit\n' > "$tmp/xdp.s"
expect_error "verify --type xdp: only r1 is set" "R2 !read_ok" "$BPFRT" verify "$tmp/len.s" --type xdp
expect_error "verify --type xdp: ctx layout" "invalid bpf_context access off=100 size=8" \
  "$BPFRT" verify "$tmp/oob.s" --type xdp
check "verify --type xdp data" "OK" "$("$BPFRT" verify "$tmp/xdp.s" --type xdp 2>&1 | tail -1)"
if ! "$BPFRT" verify "$tmp/len.s" --log-level 2 | grep -q "1: (95) exit"; then
  echo "FAIL verify --log-level 2 lacks the instruction trace"
  failures=$((failures + 1))
fi
expect_error "verify bad type" "unknown program type 'frob'" "$BPFRT" verify "$tmp/len.s" --type frob
expect_error "unknown engine" "engine" "$BPFRT" run "$tmp/len.s" --engine fast
: > "$tmp/empty.bin"
expect_error "empty file" "file is empty" "$BPFRT" run "$tmp/empty.bin"
# error.data (`or %r0, %r10`) is the one negative vector that assembles; the verifier refuses it, which is
# the error it expects.
expect_error "negative vectors" "1 passed, 59 failed" "$BPFRT" conformance "$SHARED/conformance/negative"

# The plug-in protocol: program hex on stdin, memory hex as argument, r0 in hex on stdout.
check "plugin" "3" "$(printf 'bf 20 00 00 00 00 00 00 95 00 00 00 00 00 00 00 \n' | "$BPFRT" conformance-plugin 'aabbcc')"
check "plugin jit" "3" "$(printf 'bf 20 00 00 00 00 00 00 95 00 00 00 00 00 00 00' | "$BPFRT" conformance-plugin 'aabbcc' --engine jit)"
check "run --engine jit" "0x27f80ddaa1ba7878" "$("$BPFRT" run "$(dirname "$0")/../../examples/fibonacci.s" --engine jit 2>/dev/null || true)"
if printf 'ff 00 00 00 00 00 00 00' | "$BPFRT" conformance-plugin > /dev/null 2>&1; then
  echo "FAIL plugin accepted a bad program"
  failures=$((failures + 1))
fi

[ "$failures" -eq 0 ] && echo "all CLI checks passed"
exit "$failures"
