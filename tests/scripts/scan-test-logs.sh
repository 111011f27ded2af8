#!/usr/bin/env bash
# Looks for secrets in everything the test suite logged: the log files the test hosts and the processes the tests start
# write under artifacts/test-logs/ (tests/Common/TestLogFiles.cs) and the trx files of `dotnet test`. Run by `make test`
# after the tests; a secret in a log is a leak (logs are copied, shipped and kept), so any hit fails the run, naming the
# file, the line and the kind of secret (never the secret itself: this output is a log too).
# Usage: scan-test-logs.sh DIR... (default: artifacts/test-logs artifacts/test-results). Exit 1 on a hit, 2 on bad usage.
set -uo pipefail

dirs=("$@")
[ ${#dirs[@]} -gt 0 ] || dirs=(artifacts/test-logs artifacts/test-results)

# kind|grep -E pattern|flags ("i": ignore case). Shapes of what the servers hand out (EdgeMdm.Edge Enrollment, Staging,
# Mqtt; Supervisor's break-glass password), any private key, bearer credentials, a secret-named setting with a value,
# and the literal secrets the tests use (tests/scripts/test-secrets.txt). A token's prefix must start a word: a test
# named "Commands_are_classified_..." in a trx file holds "ds_" plus 43 name characters, and is no device secret.
rules=(
  'PEM private key|-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----|'
  'device secret|(^|[^A-Za-z0-9_-])ds_[A-Za-z0-9_-]{43}|'
  'enrollment token|(^|[^A-Za-z0-9_-])et_[A-Za-z0-9_-]{32}|'
  'MQTT client secret|(^|[^A-Za-z0-9_-])mq_[A-Za-z0-9_-]{32}|'
  'bearer credential|bearer [A-Za-z0-9._~+/=-]{16,}|i'
  'break-glass password|(^|[^A-Za-z0-9-])[a-hjkmnp-zAB2-9]{5}(-[a-hjkmnp-zAB2-9]{5}){3}($|[^A-Za-z0-9-])|'
  'secret-named value|(password|passphrase|passwd|secret|credential)[\"'"'"']?[[:space:]]*[:=][[:space:]]*[\"'"'"']?[^[:space:]\"'"'"'(,;<>&{}]{8,}|i'
)

files=()
for dir in "${dirs[@]}"; do
  [ -d "$dir" ] || continue
  while IFS= read -r -d '' file; do files+=("$file"); done < <(find "$dir" -type f \( -name '*.log' -o -name '*.trx' \) -print0)
done
if [ ${#files[@]} -eq 0 ]; then
  echo "scan-test-logs: no log or trx files under ${dirs[*]}"
  exit 0
fi

hits=0
report() { # file:line:... from grep -n, and the kind
  while IFS= read -r hit; do
    echo "scan-test-logs: ${hit%%:*}:$(cut -d: -f2 <<<"$hit"): $1"
    hits=$((hits + 1))
  done
}

for rule in "${rules[@]}"; do
  kind=${rule%%|*}; rest=${rule#*|}; pattern=${rest%|*}; flags=${rest##*|}
  case_flag=(); [ "$flags" = i ] && case_flag=(-i)
  report "$kind" < <(grep -nHE "${case_flag[@]}" -e "$pattern" -- "${files[@]}" | cut -d: -f1,2)
done

literals="$(dirname "${BASH_SOURCE[0]}")/test-secrets.txt"
if [ -s "$literals" ]; then
  report "a secret the tests use ($(basename "$literals"))" < <(grep -nHF -f <(grep -v '^#' "$literals" | grep -v '^$') -- "${files[@]}" | cut -d: -f1,2)
fi

if [ "$hits" -gt 0 ]; then
  echo "scan-test-logs: $hits secret(s) in the test logs; a log must never hold one (docs/security.md: secrets at rest)"
  exit 1
fi
echo "scan-test-logs: no secrets in ${#files[@]} log and trx files"
