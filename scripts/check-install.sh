#!/usr/bin/env bash
# Installs a build into a scratch prefix and builds examples/consumer against the installed files,
# with CMake (shared and static) and with pkg-config, then runs them.
# Usage: scripts/check-install.sh BUILD_DIR
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"
cmake --install "$build" --prefix "$prefix" > "$work/install.log"
echo "installed: $(cd "$prefix" && find . -type f | sort | tr '\n' ' ')"
cmake -S "$root/examples/consumer" -B "$work/consumer" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" > /dev/null
cmake --build "$work/consumer" > /dev/null
libdir=$(dirname "$(find "$prefix" -name 'libbpfrt.so' | head -1)")
object="$build/tests/bpf/xdp_parse_eth.bpf.o"
args=()
[ -f "$object" ] && args=("$object")
example="$build/examples/xdp_counter.bpf.o"
[ -f "$object" ] && [ -f "$example" ] && args+=("$example")
LD_LIBRARY_PATH="$libdir" "$work/consumer/consumer" "${args[@]}"
"$work/consumer/consumer_static" "${args[@]}"
# pkg-config, as a Makefile would use it.
export PKG_CONFIG_PATH="$libdir/pkgconfig"
# shellcheck disable=SC2046
c++ -std=c++20 "$root/examples/consumer/main.cpp" -o "$work/consumer_pc" $(pkg-config --cflags --libs bpfrt)
LD_LIBRARY_PATH="$libdir" "$work/consumer_pc" "${args[@]}" > /dev/null
echo "install check passed (CMake shared, CMake static, pkg-config)"
