#!/usr/bin/env bash
# The demo site's spare pools for `make run`: TC52 (minimum 3) and TC58 (minimum 2), each with enrolled devices of its
# model as spares (compliant ones first: most of the demo fleet runs an older security patch than the blueprint asks,
# so only those can become Ready), and an assignment on a few floor devices so a swap shows one moving.
# Usage: spares.sh EDGE_CLI DATA_DIR
set -u
edge=$1 data=$2
"$edge" spares pool set TC52 --min 3 --data-dir "$data" >/dev/null
"$edge" spares pool set TC58 --min 2 --data-dir "$data" >/dev/null
# devices list --json: one object per device; keep "id model compliant", compliant ones first.
pairs=$("$edge" devices list --json --data-dir "$data" | tr -d '\n ' | sed 's/},{/}\n{/g' |
  sed -n 's/.*"deviceId":"\([^"]*\)".*"model":"\([^"]*\)".*"compliant":\([a-z]*\).*/\1 \2 \3/p' | sort -k3,3r -s)
add() { # MODEL COUNT
  echo "$pairs" | awk -v m="$1" '$2 == m {print $1}' | head -n "$2" | while read -r id; do
    "$edge" spares add "$id" --data-dir "$data" >/dev/null 2>&1 || true  # a second make run finds them in already
  done
}
add TC52 4
add TC58 3
n=0
echo "$pairs" | awk '$2 == "TC52" && $3 == "false" {print $1}' | tail -n 3 | while read -r id; do
  n=$((n + 1))
  "$edge" devices assign "$id" --to "picker $n" --data-dir "$data" >/dev/null
done
