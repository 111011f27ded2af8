#!/usr/bin/env bash
# Builds the power-loss drill's LD_PRELOAD shim (unsynced.c) into OUT, installing gcc when missing; safe to run again.
#   build.sh OUT.so
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../../scripts/apt.sh"
out=${1:?usage: build.sh OUT.so}
if ! command -v gcc >/dev/null 2>&1; then
    apt_install build.sh gcc gcc
fi
gcc -O2 -Wall -Wextra -Werror -shared -fPIC -o "$out" "$here/unsynced.c" -ldl -lpthread
