#!/bin/bash
# Every program of the BPF corpus (tests/bpf) that the kernel's BPF_PROG_TEST_RUN can run is checked
# with `bpfrt diff` (interpreter, JIT, kernel; fresh maps each) on several inputs: identical r0,
# data_out, ctx_out and maps. A leg bpfrt diff skips (the JIT lacking a feature, libbpf unable to open
# legacy maps) is printed with its reason. Needs root; exits 77 (skipped) with the reason otherwise.
# Usage: diff_corpus_test.sh BPFRT CORPUS_DIR
set -u
BPFRT=$1
CORPUS=$2
if [ "$(id -u)" != 0 ]; then
  echo "SKIP: not root: loading programs into the kernel for BPF_PROG_TEST_RUN needs CAP_BPF"
  exit 77
fi
if ! ls "$CORPUS"/*.bpf.o > /dev/null 2>&1; then
  echo "SKIP: the BPF corpus was not built (no clang?)"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
eth='\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x01'
# IPv4/UDP to port 53, IPv4/TCP SYN to 80, IPv6/UDP, ARP, IPv4/UDP with 200 bytes of payload, runt.
printf "$eth"'\x08\x00\x45\x00\x00\x1c\x00\x01\x00\x00\x40\x11\x00\x00\x0a\x00\x00\x01\x0a\x00\x00\x02\x04\xd2\x00\x35\x00\x08\x00\x00' > "$tmp/udp.pkt"
printf "$eth"'\x08\x00\x45\x10\x00\x28\x00\x01\x00\x00\x1e\x06\x00\x00\x0a\x00\x00\x01\x0a\x00\x00\x02\x04\xd2\x00\x50\x00\x00\x00\x00\x00\x00\x00\x00\x50\x02\x72\x10\x00\x00\x00\x00' > "$tmp/tcp.pkt"
printf "$eth"'\x86\xdd\x60\x00\x00\x00\x00\x08\x11\x40\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x04\xd2\x14\xe9\x00\x08\x00\x00' > "$tmp/ipv6.pkt"
printf "$eth"'\x08\x06' > "$tmp/arp.pkt"
head -c 28 /dev/zero >> "$tmp/arp.pkt"
cp "$tmp/udp.pkt" "$tmp/big.pkt"
head -c 200 /dev/urandom >> "$tmp/big.pkt"
printf "$eth"'\x08\x00\x45' > "$tmp/runt.pkt"
# Syscall contexts: zeros, (a=6, b=7, op=1), (a=1000003, b=17, op=2).
head -c 160 /dev/zero > "$tmp/zero.ctx"
{ printf '\x06\x00\x00\x00\x00\x00\x00\x00\x07\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00'; head -c 140 /dev/zero; } > "$tmp/args1.ctx"
{ printf '\x43\x42\x0f\x00\x00\x00\x00\x00\x11\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00'; head -c 140 /dev/zero; } > "$tmp/args2.ctx"
# Raw tracepoint arguments (u64 each): none, three, and twelve (the kernel's maximum).
head -c 24 /dev/zero > "$tmp/raw0.ctx"
printf '\x07\x00\x00\x00\x00\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x00\x00\x00\x80' > "$tmp/raw1.ctx"
head -c 96 /dev/urandom > "$tmp/raw2.ctx"

programs=0
runs=0
failures=0
for obj in "$CORPUS"/*.bpf.o; do
  while read -r prog type; do
    case "$type" in
      xdp | sched_cls | sched_act | socket_filter)
        inputs="udp tcp ipv6 arp big runt"; flag=--data-in; ext=pkt ;;
      syscall)
        inputs="zero args1 args2"; flag=--ctx-in; ext=ctx ;;
      raw_tracepoint)
        inputs="raw0 raw1 raw2"; flag=--ctx-in; ext=ctx ;;
      *)
        echo "skip $(basename "$obj"):$prog: the kernel's BPF_PROG_TEST_RUN does not run $type programs"
        continue ;;
    esac
    programs=$((programs + 1))
    skips=""
    for input in $inputs; do
      out=$("$BPFRT" diff "$obj:$prog" $flag "$tmp/$input.$ext" --repeat 2 2>&1)
      rc=$?
      runs=$((runs + 1))
      if [ $rc -ne 0 ]; then
        echo "FAIL $(basename "$obj"):$prog on $input (exit $rc):"
        echo "$out" | sed 's/^/    /'
        failures=$((failures + 1))
      else
        skips+=$(echo "$out" | grep "skipped:" | sed "s|^|$(basename "$obj"):$prog: |")$'\n'
      fi
    done
    echo -n "$skips" | sort -u | grep -v '^$' 
  done < <("$BPFRT" object show "$obj" | awk '/^programs/ {f = 1; next} /^maps/ {f = 0}
                                               f && /^  [A-Za-z_0-9]+: section/ {
                                                 sub(":", "", $1)
                                                 for (i = 1; i <= NF; i++) if ($i == "type") print $1, $(i + 1)
                                               }' | tr -d ',')
done
echo "$programs programs, $runs bpfrt diff runs, $failures with differences"
if [ "$programs" -lt 30 ]; then
  echo "FAIL: only $programs corpus programs can be checked against the kernel (want at least 30)"
  failures=$((failures + 1))
fi
[ $failures -eq 0 ]
