#!/usr/bin/env bash
# Kernel maps shared with other processes through a registry, end to end: `bpfrt load --target shared
# --hold` in the background keeps the kernel maps; other bpfrt processes dump, update and run the
# registry's program on them; the kernel sees their changes (bpftool); SIGTERM releases everything; a
# holder killed with SIGKILL leaves records whose kernel maps are gone, which give a clear error until
# `bpfrt unload`. Pinned loads (bpffs mounted in a private mount namespace) outlive the loader and
# `bpfrt unload` removes the pins. Needs root; exits 77 (skipped) otherwise.
# Usage: kernel_share_cli_test.sh BPFRT CORPUS_DIR PACKET
set -u
BPFRT=$1
CORPUS=$2
PKT=$3
OBJ=$CORPUS/shared_registry.bpf.o
failures=0
if [ "$(id -u)" != 0 ]; then
  echo "SKIP: needs root (CAP_BPF and CAP_SYS_ADMIN) to load kernel maps and reopen them by id"
  exit 77
fi
if [ ! -f "$OBJ" ]; then
  echo "SKIP: the BPF corpus was not built"
  exit 77
fi
source "$(dirname "$0")/expect.sh"
wait_for() {  # wait_for FILE PATTERN: up to 20 s
  for _ in $(seq 200); do
    grep -q -- "$2" "$1" 2> /dev/null && return 0
    sleep 0.1
  done
  echo "FAIL: $1 never showed [$2]: $(cat "$1")"
  failures=$((failures + 1))
  return 1
}

# Pinned loads, run inside a private mount namespace with bpffs on a scratch directory.
if [ "${4:-}" = "--pinned" ]; then
  reg="bpfrt-kshare-pin-$$"
  mnt=$(mktemp -d)
  trap '"$BPFRT" registry remove --registry "$reg" > /dev/null 2>&1; umount "$mnt"; rmdir "$mnt"' EXIT
  mount -t bpf bpf "$mnt" || { echo "SKIP: cannot mount bpffs"; exit 0; }
  pins=$mnt/bpfrt/demo
  expect_output pin_load "pinned at $pins/by_len" "$BPFRT" load "$OBJ" --target shared --registry "$reg" --pin-dir "$pins"
  [ -e "$pins/progs/xdp_tally" ] || { echo "FAIL pin_prog: no program pin"; failures=$((failures + 1)); }
  # The loader has exited: the pins keep the maps, and other processes reach them.
  expect_output pin_run "retval: 0x2" "$BPFRT" run "$OBJ" --registry "$reg" --data-in "$PKT" --engine jit
  expect_output pin_kernel_run "Return value: 2" bpftool prog run pinned "$pins/progs/xdp_tally" data_in "$PKT" repeat 1
  expect_output pin_dump "key: 2a 00 00 00  value: 02 00 00 00 00 00 00 00" "$BPFRT" map dump shared_registry.by_len --registry "$reg"
  expect_output pin_show "pinned $pins/totals" "$BPFRT" map show shared_registry.totals --registry "$reg"
  expect_error pin_busy "pin directory $pins is not empty" "$BPFRT" load "$OBJ" --target shared --registry "$reg-2" --pin-dir "$pins"
  [ ! -e "/dev/shm/$reg-2" ] || { echo "FAIL pin_busy_registry: the failed load left registry $reg-2"; failures=$((failures + 1)); }
  "$BPFRT" registry remove --registry "$reg-2" > /dev/null 2>&1
  expect_output pin_unload "removed the pins under $pins" "$BPFRT" unload shared_registry --registry "$reg"
  [ ! -e "$pins" ] || { echo "FAIL pin_gone: $pins is still there: $(ls -R "$pins")"; failures=$((failures + 1)); }
  [ $failures -eq 0 ] && echo "pinned checks passed"
  [ $failures -eq 0 ]
  exit
fi

tmp=$(mktemp -d)
reg="bpfrt-kshare-cli-$$"
holder=""
trap '[ -n "$holder" ] && kill "$holder" 2> /dev/null; rm -rf "$tmp"; "$BPFRT" registry remove --registry "$reg" > /dev/null 2>&1' EXIT

expect_error needs_pin_or_hold "is not on a BPF filesystem.*--hold" "$BPFRT" load "$OBJ" --target shared --registry "$reg" --pin-dir "$tmp/pins"
# A failed load removes the registry it created, and leaves one that existed as it was.
no_registry() {  # no_registry NAME REGISTRY
  if [ -e "/dev/shm/$2" ]; then
    echo "FAIL $1: the failed load left registry $2 behind"
    failures=$((failures + 1))
    "$BPFRT" registry remove --registry "$2" > /dev/null 2>&1
  fi
}
no_registry needs_pin_or_hold_registry "$reg"
expect_error kernel_refused "the kernel (through libbpf) refuses to load" "$BPFRT" load "$CORPUS/bad/unchecked_packet.bpf.o" --target shared --registry "$reg" --hold
no_registry kernel_refused_registry "$reg"
"$BPFRT" map create kept --type array --key-size 4 --value-size 4 --max-entries 1 --registry "$reg" > /dev/null || failures=$((failures + 1))
"$BPFRT" map update kept --key "0 0 0 0" --value "7 0 0 0" --registry "$reg" || failures=$((failures + 1))
expect_error kernel_refused_existing "refuses to load" "$BPFRT" load "$CORPUS/bad/unchecked_packet.bpf.o" --target shared --registry "$reg" --hold
expect_output existing_kept "value: 07 00 00 00" "$BPFRT" map lookup kept --key "0 0 0 0" --registry "$reg"
"$BPFRT" map remove kept --registry "$reg" || failures=$((failures + 1))
expect_error empty_existing "refuses to load" "$BPFRT" load "$CORPUS/bad/unchecked_packet.bpf.o" --target shared --registry "$reg" --hold
[ -e "/dev/shm/$reg" ] || { echo "FAIL empty_existing_kept: an empty registry that existed was removed"; failures=$((failures + 1)); }
expect_error hold_only_shared "--hold applies to --target shared only" "$BPFRT" load "$OBJ" --registry "$reg" --hold

# --hold in the background; everything else from other processes.
"$BPFRT" load "$OBJ" --target shared --registry "$reg" --hold > "$tmp/hold.out" 2>&1 &
holder=$!
wait_for "$tmp/hold.out" "holding the kernel maps"
expect_output held_list "held by pid $holder" "$BPFRT" map list --registry "$reg"
expect_output empty_dump "Found 0 elements" "$BPFRT" map dump shared_registry.by_len --registry "$reg"
expect_output run_interp "retval: 0x2" "$BPFRT" run "$OBJ" --registry "$reg" --data-in "$PKT" --engine interp
expect_output run_jit "retval: 0x2" "$BPFRT" run "$OBJ" --registry "$reg" --data-in "$PKT" --engine jit
expect_output dump_counts "key: 2a 00 00 00  value: 02 00 00 00 00 00 00 00" "$BPFRT" map dump shared_registry.by_len --registry "$reg"
expect_output dump_bytes "key: 01 00 00 00  value: 54 00 00 00 00 00 00 00" "$BPFRT" map dump shared_registry.totals --registry "$reg"
"$BPFRT" map update shared_registry.totals --registry "$reg" --key "00 00 00 00" --value "64 00 00 00 00 00 00 00" || failures=$((failures + 1))
expect_output lookup "value: 64 00 00 00 00 00 00 00" "$BPFRT" map lookup shared_registry.totals --registry "$reg" --key "00 00 00 00"
# The kernel's view of the same map, by the id the record names.
id=$("$BPFRT" map show shared_registry.totals --registry "$reg" -j | sed -n 's/.*"kernel":{"holder_pid":[0-9]*,"id":\([0-9]*\).*/\1/p')
if [ -z "$id" ]; then
  echo "FAIL kernel_id: no kernel id in $("$BPFRT" map show shared_registry.totals --registry "$reg" -j)"
  failures=$((failures + 1))
else
  expect_output kernel_sees '"value": 100' bpftool -p map lookup id "$id" key 0 0 0 0
fi
expect_output unload_note "pid $holder (bpfrt load --hold) still holds" "$BPFRT" unload shared_registry --registry "$reg"
kill -TERM "$holder"
wait "$holder"
rc=$?
holder=""
[ $rc -eq 0 ] || { echo "FAIL hold_exit: $rc"; failures=$((failures + 1)); }
grep -q "released the kernel maps" "$tmp/hold.out" || { echo "FAIL released: $(cat "$tmp/hold.out")"; failures=$((failures + 1)); }

# A holder killed outright leaves records naming kernel maps that are gone.
"$BPFRT" load "$OBJ" --target shared --registry "$reg" --hold > "$tmp/hold2.out" 2>&1 &
holder=$!
wait_for "$tmp/hold2.out" "holding the kernel maps"
expect_output dump_before_kill "Found 0 elements" "$BPFRT" map dump shared_registry.by_len --registry "$reg"
kill -KILL "$holder"
wait "$holder" 2> /dev/null
dead=$holder
holder=""
# The kernel frees the maps an RCU grace period after the programs holding them.
for _ in $(seq 100); do
  "$BPFRT" map dump shared_registry.by_len --registry "$reg" > /dev/null 2>&1 || break
  sleep 0.05
done
expect_error stale "kernel map id [0-9]* no longer exists (the process that held it, pid $dead, has exited" "$BPFRT" map dump shared_registry.by_len --registry "$reg"
expect_output stale_unload "removed 4 objects named shared_registry" "$BPFRT" unload shared_registry --registry "$reg"

# Pinned: in a private mount namespace, so nothing is mounted for the rest of the machine.
if command -v unshare > /dev/null 2>&1; then
  if ! out=$(unshare --mount --propagation private bash "$0" "$BPFRT" "$CORPUS" "$PKT" --pinned 2>&1); then
    echo "$out"
    failures=$((failures + 1))
  else
    echo "$out"
  fi
else
  echo "note: unshare(1) missing: pinned loads not checked"
fi

[ $failures -eq 0 ] && echo "all kernel share CLI checks passed"
[ $failures -eq 0 ]
