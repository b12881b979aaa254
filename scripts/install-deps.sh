#!/usr/bin/env bash
# Installs every Debian package listed in .ci/packages (needs root or sudo).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mapfile -t packages < <(grep -v '^\s*#' "$root/.ci/packages" | grep -v '^\s*$')
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${packages[@]}"
