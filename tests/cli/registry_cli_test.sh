#!/usr/bin/env bash
# End-to-end checks of the registry commands: maps, programs, export/import, trace pipe, bad input.
set -u
BPFRT=$1
tmp=$(mktemp -d)
export BPFRT_REGISTRY="bpfrt-clitest-$$"
other="bpfrt-clitest-$$-b"
cleanup() {
  "$BPFRT" registry remove >/dev/null 2>&1
  "$BPFRT" registry remove --registry "$other" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT
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

# Listing a registry that does not exist prints nothing and creates nothing.
check "empty list" "" "$("$BPFRT" map list)"
check "empty list json" "[]" "$("$BPFRT" map list -j)"
[ -e "/dev/shm/$BPFRT_REGISTRY" ] && { echo "FAIL map list created the registry"; failures=$((failures + 1)); }

check "create" "created map 'counts' with handle 1" \
  "$("$BPFRT" map create counts --type hash --key-size 4 --value-size 8 --max-entries 16)"
"$BPFRT" map update counts --key "01 00 00 00" --value "2a 00 00 00 00 00 00 00" || failures=$((failures + 1))
check "lookup" "key: 01 00 00 00  value: 2a 00 00 00 00 00 00 00" "$("$BPFRT" map lookup counts --key 01000000)"
check "lookup json" '{"key":["0x01","0x00","0x00","0x00"],"value":["0x2a","0x00","0x00","0x00","0x00","0x00","0x00","0x00"]}' \
  "$("$BPFRT" map lookup counts --key 01000000 -j)"
expect_error "missing key" "key 02 00 00 00: no such element (ENOENT)" "$BPFRT" map lookup counts --key 02000000
expect_error "noexist" "element exists (EEXIST)" "$BPFRT" map update counts --key 01000000 --value 0000000000000000 --flags noexist
expect_error "key size" "key is 2 bytes; map 'counts' needs 4" "$BPFRT" map lookup counts --key 0100
expect_error "bad hex" "invalid hex bytes" "$BPFRT" map lookup counts --key zz
# Keys and values as bpftool users type them: one or two hex digits a token, 0x optional, or pairs.
"$BPFRT" map update counts --key "0 0 0 0" --value "de ad be ef 0 0 0 0" || { echo "FAIL spaced update"; failures=$((failures + 1)); }
check "spaced lookup" "key: 00 00 00 00  value: de ad be ef 00 00 00 00" "$("$BPFRT" map lookup counts --key "0 0 0 0")"
check "0x tokens" "key: 00 00 00 00  value: de ad be ef 00 00 00 00" "$("$BPFRT" map lookup counts --key "0x0 0x00 0X0 00")"
check "mixed tokens" "key: 00 00 00 00  value: de ad be ef 00 00 00 00" "$("$BPFRT" map lookup counts --key " 0000	0 0 ")"
"$BPFRT" map update counts --key "3 0 0 0" --value "0xff 1 2 3 4 5 6 7" || { echo "FAIL 0x value"; failures=$((failures + 1)); }
check "0x value" "key: 03 00 00 00  value: ff 01 02 03 04 05 06 07" "$("$BPFRT" map lookup counts --key 03000000)"
"$BPFRT" map delete counts --key "3 0 0 0" || { echo "FAIL spaced delete"; failures=$((failures + 1)); }
expect_error "deleted" "ENOENT" "$BPFRT" map lookup counts --key "3 0 0 0"
expect_error "bad token" "key: invalid hex bytes: token 4 'zz' is not hexadecimal" "$BPFRT" map lookup counts --key "0 0 0 zz"
expect_error "odd token" "token 2 '000' has an odd number of hex digits" "$BPFRT" map lookup counts --key "0 000"
expect_error "0x number" "token 1 '0x0100' is more than one byte after 0x" "$BPFRT" map lookup counts --key "0x0100 0 0"
expect_error "bare 0x" "token 1 '0x' has no digits" "$BPFRT" map delete counts --key "0x 0 0 0"
expect_error "value token" "value: invalid hex bytes: token 8 '1ff'" "$BPFRT" map update counts --key "0 0 0 0" --value "0 0 0 0 0 0 0 1ff"
expect_error "spaced key size" "key is 3 bytes; map 'counts' needs 4" "$BPFRT" map lookup counts --key "0 0 0"
expect_error "spaced value size" "value is 9 bytes; map 'counts' needs 8" "$BPFRT" map update counts --key "0 0 0 0" --value "0 0 0 0 0 0 0 0 0"
expect_error "empty key" "key is 0 bytes; map 'counts' needs 4" "$BPFRT" map lookup counts --key " "
"$BPFRT" map delete counts --key "0 0 0 0" || { echo "FAIL spaced cleanup"; failures=$((failures + 1)); }
expect_error "no map" "no map named 'nope'" "$BPFRT" map dump nope
expect_error "bad type" "unknown map type 'hashy'" "$BPFRT" map create x --type hashy --max-entries 1
expect_error "bad spec" "arrays need key_size 4" "$BPFRT" map create x --type array --key-size 8 --value-size 4 --max-entries 1
expect_error "dup name" "already exists" "$BPFRT" map create counts --type array --key-size 4 --value-size 4 --max-entries 1
check "show" "1: hash  name counts  flags 0x0" "$("$BPFRT" map show counts | head -1)"
"$BPFRT" map create flagged --type hash --key-size 4 --value-size 4 --max-entries 4 --flags rdonly_prog,zero_seed >/dev/null \
  || failures=$((failures + 1))
check "flags by name" "0xc0" "$("$BPFRT" map show flagged -j | sed 's/.*"flags":\([0-9]*\).*/\1/' | xargs printf '0x%x')"

# Queues from the command line.
"$BPFRT" map create q --type queue --value-size 4 --max-entries 2 >/dev/null
"$BPFRT" map push q --value 01000000 && "$BPFRT" map push q --value 02000000
expect_error "queue full" "E2BIG" "$BPFRT" map push q --value 03000000
check "pop" "value: 01 00 00 00" "$("$BPFRT" map pop q)"
check "dump queue" "value: 02 00 00 00
Found 1 element" "$("$BPFRT" map dump q)"

# A program that counts into the map, loaded and run from the registry.
cat > "$tmp/count.s" <<'ASM'
stw [%r10-4], 1
lddw %r1, map_fd(1)
mov %r2, %r10
add %r2, -4
call 1
jeq %r0, 0, out
ldxdw %r1, [%r0]
add %r1, 1
stxdw [%r0], %r1
mov %r0, %r1
out:
exit
ASM
check "prog load" "loaded program 'count' with handle 4" "$("$BPFRT" prog load "$tmp/count.s")"
check "prog run" "0x2b" "$("$BPFRT" prog run count)"
check "prog run again" "0x2c" "$("$BPFRT" prog run 4)"
check "map sees it" "key: 01 00 00 00  value: 2c 00 00 00 00 00 00 00" "$("$BPFRT" map lookup counts --key 01000000)"
check "prog list" "4: raw  name count  tag $("$BPFRT" prog show count -j | sed 's/.*"tag":"\([0-9a-f]*\)".*/\1/')" \
  "$("$BPFRT" prog list | head -1)"
check "prog dump" "   1: lddw %r1, map_fd(1)" "$("$BPFRT" prog dump count | sed -n 2p)"
printf 'lddw %%r1, map_fd(99)\nexit\n' > "$tmp/bad.s"
expect_error "prog bad map" "no map with handle 99" "$BPFRT" prog load "$tmp/bad.s"

# trace_printk reaches `bpfrt trace-pipe`.
"$BPFRT" map create fmt --type array --key-size 4 --value-size 8 --max-entries 1 >/dev/null
"$BPFRT" map update fmt --key 00000000 --value "68 69 20 25 64 00 00 00"   # "hi %d"
fmt_handle=$("$BPFRT" map show fmt -j | sed 's/.*"handle":\([0-9]*\).*/\1/')
printf 'lddw %%r1, map_value(%s, 0)\nmov %%r2, 6\nmov %%r3, 7\ncall 6\nexit\n' "$fmt_handle" > "$tmp/printk.s"
"$BPFRT" prog load "$tmp/printk.s" --name printk >/dev/null || failures=$((failures + 1))
"$BPFRT" prog run printk >/dev/null || failures=$((failures + 1))
line=$("$BPFRT" trace-pipe --count 1 --timeout 3000)
case "$line" in
  *"bpf_trace_printk: hi 7") ;;
  *) echo "FAIL trace-pipe: [$line]"; failures=$((failures + 1)) ;;
esac

# Export, import into another registry, export again: identical.
"$BPFRT" export "$tmp/a.json" || failures=$((failures + 1))
"$BPFRT" import "$tmp/a.json" --registry "$other" || failures=$((failures + 1))
"$BPFRT" export "$tmp/b.json" --registry "$other" || failures=$((failures + 1))
cmp -s "$tmp/a.json" "$tmp/b.json" || { echo "FAIL export/import round trip"; diff "$tmp/a.json" "$tmp/b.json" | head; failures=$((failures + 1)); }
check "imported program runs" "0x2d" "$("$BPFRT" prog run count --registry "$other")"
expect_error "import twice" "already exists" "$BPFRT" import "$tmp/a.json" --registry "$other"
echo '{"format":"bpfrt-registry","version":1,"maps":[{"handle":1}]}' > "$tmp/bad.json"
expect_error "bad import" "maps\[0\].name: missing" "$BPFRT" import "$tmp/bad.json" --registry "$other"
expect_error "missing file" "cannot open" "$BPFRT" import "$tmp/none.json"

# Commands that fail leave no registry they created behind.
fresh="$BPFRT_REGISTRY-fresh"
expect_error "fresh map create" "arrays need key_size 4" "$BPFRT" map create x --type array --key-size 8 --value-size 4 --max-entries 1 --registry "$fresh"
expect_error "fresh prog load" "cannot open\|No such file" "$BPFRT" prog load "$tmp/none.s" --registry "$fresh"
expect_error "fresh import" "maps\[0\].name: missing" "$BPFRT" import "$tmp/bad.json" --registry "$fresh"
[ -e "/dev/shm/$fresh" ] && { echo "FAIL a failed command left registry $fresh behind"; failures=$((failures + 1)); "$BPFRT" registry remove --registry "$fresh"; }

check "registry show" "registry $BPFRT_REGISTRY  /dev/shm/$BPFRT_REGISTRY  capacity 1024" "$("$BPFRT" registry show | head -1)"
"$BPFRT" map remove q || failures=$((failures + 1))
expect_error "removed" "no map named 'q'" "$BPFRT" map dump q
"$BPFRT" registry remove || failures=$((failures + 1))
[ -e "/dev/shm/$BPFRT_REGISTRY" ] && { echo "FAIL registry still there"; failures=$((failures + 1)); }
expect_error "remove twice" "there is no registry" "$BPFRT" registry remove
expect_error "bad registry name" "invalid registry name" "$BPFRT" map list --registry 'a/b'

[ "$failures" -eq 0 ] && echo "all registry CLI checks passed"
exit "$failures"
