#!/usr/bin/env bash
# The demo site's spare pools for `make run`: TC52 (minimum 3) and TC58 (minimum 2), each with the first enrolled
# devices of its model as spares, and an assignment on a few floor devices so a swap shows one moving.
# Usage: spares.sh EDGE_CLI DATA_DIR
set -u
edge=$1 data=$2
"$edge" spares pool set TC52 --min 3 --data-dir "$data" >/dev/null
"$edge" spares pool set TC58 --min 2 --data-dir "$data" >/dev/null
# devices list --json: one object per device; keep "id model" pairs.
pairs=$("$edge" devices list --json --data-dir "$data" | tr -d '\n ' | sed 's/},{/}\n{/g' |
  sed -n 's/.*"deviceId":"\([^"]*\)".*"model":"\([^"]*\)".*/\1 \2/p')
add() { # MODEL COUNT
  echo "$pairs" | awk -v m="$1" '$2 == m {print $1}' | head -n "$2" | while read -r id; do
    "$edge" spares add "$id" --data-dir "$data" >/dev/null
  done
}
add TC52 4
add TC58 3
n=0
echo "$pairs" | awk '$2 == "TC52" {print $1}' | tail -n 3 | while read -r id; do
  n=$((n + 1))
  "$edge" devices assign "$id" --to "picker $n" --data-dir "$data" >/dev/null
done
