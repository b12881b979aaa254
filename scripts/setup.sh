#!/usr/bin/env bash
# The main job: install dependencies, build, and run the shipped example program.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/install-deps.sh"
bash "$root/scripts/build.sh"
echo "== bpfrt run examples/fibonacci.s"
"$root/build/tools/bpfrt/bpfrt" run "$root/examples/fibonacci.s"
